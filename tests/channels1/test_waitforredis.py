"""waitforredis: returns once Redis answers, fails clearly when it never does."""

import pytest
from django.core.management import CommandError, call_command


def test_returns_when_redis_answers(settings, redis_url):
    settings.REDIS_URL = redis_url
    call_command("waitforredis", timeout=2)


def test_fails_clearly_when_redis_never_answers(settings, tmp_path):
    settings.REDIS_URL = f"unix://{tmp_path}/missing.sock"
    with pytest.raises(CommandError, match="did not answer within 0.5 s"):
        call_command("waitforredis", timeout=0.5)
