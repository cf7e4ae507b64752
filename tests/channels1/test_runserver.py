"""Which `runserver` Django runs: the engine's, although daphne and staticfiles, which
ship one each, come before it in INSTALLED_APPS."""

from django.conf import settings
from django.core.management import get_commands, load_command_class

from channels1.management.commands import runserver


def test_runserver_is_the_engines_whatever_the_app_order():
    apps = settings.INSTALLED_APPS
    assert apps.index("daphne") < apps.index("django.contrib.staticfiles") < apps.index("channels1")
    assert get_commands()["runserver"] == "daphne"
    assert type(load_command_class("daphne", "runserver")) is runserver.Command
    assert type(load_command_class("django.contrib.staticfiles", "runserver")) is runserver.Command


def test_its_http_timeout_defaults_to_60_seconds_as_in_1x():
    parser = runserver.Command().create_parser("manage.py", "runserver")
    options = parser.parse_args([])
    assert options.http_timeout == 60
    assert options.run_worker is True
    assert parser.parse_args(["--noworker"]).run_worker is False
