"""Chat presence in Redis (tracker/presence.py): sockets join and leave, a user with two
sockets is listed once, and sockets that stopped pinging expire."""

import time

import pytest

from tracker import presence


@pytest.fixture(autouse=True)
def redis_keys(rq_settings):
    """Presence keys on the test Redis under this test's prefix."""


def test_join_and_leave_list_each_user_once():
    presence.join("ops/night", "sock.1", "ada")
    presence.join("ops/night", "sock.2", "ada")
    presence.join("ops/night", "sock.3", "bea")
    presence.join("elsewhere", "sock.4", "cyd")
    assert presence.present("ops/night") == ["ada", "bea"]
    presence.leave("ops/night", "sock.1")
    assert presence.present("ops/night") == ["ada", "bea"]
    presence.leave("ops/night", "sock.2")
    assert presence.present("ops/night") == ["bea"]
    assert presence.active_rooms()[:2] == ["elsewhere", "ops/night"]


def test_sockets_that_stop_pinging_expire(settings):
    settings.CHAT_PRESENCE_TIMEOUT = 0.5
    presence.join("lobby", "sock.quiet", "ada")
    presence.join("lobby", "sock.alive", "bea")
    deadline = time.monotonic() + 10
    while presence.present("lobby") != ["bea"] and time.monotonic() < deadline:
        presence.touch("lobby", "sock.alive")
        time.sleep(0.1)
    assert presence.present("lobby") == ["bea"]
