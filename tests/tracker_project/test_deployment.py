"""What a production start needs, one refusal each, and the environment's flags."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from tracker_project.deployment import (
    DEV_SECRET_KEY,
    env_flag,
    env_list,
    production_problems,
    refuse_unsafe_production,
)

GOOD = {"secret_key": "k" * 50, "allowed_hosts": ["tracker.example.com"], "https": True, "behind_proxy": True}


def test_a_complete_production_environment_has_no_problems():
    assert production_problems(**GOOD) == []
    assert production_problems(**{**GOOD, "behind_proxy": False, "https": False}) == []


@pytest.mark.parametrize("change, variable", [
    ({"secret_key": ""}, "DJANGO_SECRET_KEY is not set"),
    ({"secret_key": DEV_SECRET_KEY}, "DJANGO_SECRET_KEY is the development key"),
    ({"allowed_hosts": []}, "DJANGO_ALLOWED_HOSTS is empty"),
    ({"https": False}, "DJANGO_BEHIND_PROXY=1 declares TLS at a proxy but DJANGO_HTTPS=0"),
])
def test_each_unsafe_setting_is_named_with_what_to_set(change, variable):
    problems = production_problems(**{**GOOD, **change})
    assert len(problems) == 1 and problems[0].startswith(variable)


def test_the_refusal_lists_every_problem_and_the_way_to_development():
    with pytest.raises(ImproperlyConfigured) as refused:
        refuse_unsafe_production(production_problems(**{**GOOD, "secret_key": "", "allowed_hosts": []}))
    message = str(refused.value)
    assert "DJANGO_SECRET_KEY" in message and "DJANGO_ALLOWED_HOSTS" in message
    assert "DJANGO_DEBUG=1" in message
    refuse_unsafe_production([])


@pytest.mark.parametrize("value, expected", [("1", True), ("on", True), ("True", True), ("0", False), ("", False)])
def test_env_flag(value, expected):
    assert env_flag("FLAG", environ={"FLAG": value}) is expected


def test_env_flag_and_list_defaults():
    assert env_flag("FLAG", environ={}) is False and env_flag("FLAG", default=True, environ={}) is True
    assert env_list("HOSTS", "a, b,,", environ={}) == ["a", "b"]
