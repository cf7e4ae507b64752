"""Once-only send calls: a script call written again (its connection died before
the reply came) sends nothing twice and answers as the first time did."""

import pytest
import redis

from channels1.layer._send_once import SEND_ONCE, send_call


@pytest.mark.parametrize("kind", ["s", "l"])
def test_a_send_call_written_again_sends_once_and_answers_the_same(redis_url, kind):
    prefix = "testonce"
    key = f"{prefix}:{'c' if kind == 's' else 'p'}:{{test.again}}"
    with redis.Redis.from_url(redis_url) as client:
        call = send_call([key], [1_000_000_000_000, 60_000, "receivers", kind, 10, b"data"], once=True)
        client.script_load(SEND_ONCE.source)
        first, again = client.execute_command(*call), client.execute_command(*call)
        try:
            assert first == again
            assert (client.xlen(key) if kind == "s" else client.llen(key)) == 1
        finally:
            client.delete(key, call[3])
