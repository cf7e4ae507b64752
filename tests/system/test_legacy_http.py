"""HTTP through the workers, as Daphne 1.x did it: the 1.x project routes
``http.request`` to StaticFilesConsumer, so Daphne puts each request on the layer
and real runworker processes run the Django views and send the response back."""

import asyncio
import hashlib
import http.client
import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
import redis
from channels.exceptions import ChannelFull

from .legacy import legacy_layer, legacy_system

DOWNLOAD = bytes(range(256)) * 256 * 80  # what web.views.download streams


@pytest.fixture(scope="module")
def legacy(redis_url, tmp_path_factory):
    system = legacy_system(redis_url, tmp_path_factory.mktemp("legacy-http"))
    try:
        yield system.start()
    finally:
        system.stop()


@pytest.fixture
def idle(redis_url, tmp_path):
    """Daphne of the project with no worker running, and a 2 s HTTP timeout."""
    system = legacy_system(redis_url, tmp_path, env={"HTTP_TIMEOUT": "2"})
    try:
        system.prepare()
        system.start_daphne()
        yield system
    finally:
        system.stop()


def request(system, path, data=None, headers=None):
    """``(status, headers, body)`` of a request to the system."""
    sent = urllib.request.Request(system.http_url + path, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(sent, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def workers_log(system):
    return "\n".join(system.log(worker) for worker in system.workers)


def wait_for_workers_log(system, text, timeout=30):
    """True once a worker logged ``text``; the log line follows the reply."""
    deadline = time.monotonic() + timeout
    while text not in workers_log(system):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_a_get_with_query_and_cookies_runs_the_view_in_a_worker(legacy):
    status, _, body = request(legacy, "/web/echo/?a=1&a=2&b=%C3%A9", headers={
        "Cookie": "flavour=oat; size=large", "User-Agent": "system-test",
    })
    assert status == 200
    assert json.loads(body) == {
        "method": "GET", "path": "/web/echo/", "GET": {"a": ["1", "2"], "b": ["é"]}, "POST": {},
        "COOKIES": {"flavour": "oat", "size": "large"}, "user_agent": "system-test",
    }
    assert wait_for_workers_log(legacy, "Consumed http.request with <StaticFilesConsumer>")


def test_a_posted_form_reaches_the_view(legacy):
    form = urllib.parse.urlencode({"name": "Ada", "tags": ["x", "y"]}, doseq=True).encode()
    status, _, body = request(legacy, "/web/echo/", data=form)
    assert status == 200
    assert json.loads(body)["POST"] == {"name": ["Ada"], "tags": ["x", "y"]}


def test_a_3_mib_upload_arrives_whole_through_the_body_channel(legacy, redis_url):
    data = hashlib.sha256(b"seed").digest() * (3 * 1024 * 1024 // 32)
    boundary = uuid.uuid4().hex
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n"
        f"Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    status, _, reply = request(legacy, "/web/upload/", data=body, headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}",
    })
    assert status == 200
    assert json.loads(reply) == {"name": "big.bin", "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    client = redis.Redis.from_url(redis_url)
    try:
        assert not list(client.scan_iter(match=f"{legacy.prefix}:c:{{http.request.body*")), "body channel left behind"
    finally:
        client.close()


def test_a_5_mib_streamed_download_arrives_whole(legacy):
    status, headers, body = request(legacy, "/web/download/")
    assert status == 200 and headers["Content-Type"] == "application/octet-stream"
    assert len(body) == len(DOWNLOAD) and body == DOWNLOAD


def test_a_failing_view_answers_500(legacy):
    status, _, body = request(legacy, "/web/boom/")
    assert status == 500
    assert b"this view always fails" in body  # DEBUG's technical page


def test_a_static_file_is_served_by_static_files_consumer(legacy):
    status, _, body = request(legacy, "/static/chat/chat.js")
    assert status == 200 and b"new WebSocket" in body
    status, _, _ = request(legacy, "/static/chat/missing.js")
    assert status == 404


def test_response_later_is_answered_by_another_consumer(legacy):
    status, headers, body = request(legacy, "/web/later/?text=hello")
    assert status == 200 and headers["Content-Type"] == "text/plain"
    assert body == b"answered later: hello"
    assert wait_for_workers_log(legacy, "Consumed respond-later")


def test_a_client_leaving_mid_request_is_announced_on_http_disconnect(legacy):
    with socket.create_connection(("127.0.0.1", legacy.port), timeout=10) as client:
        client.sendall(b"GET /web/slow/?seconds=2 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        time.sleep(0.5)  # the request is on its way to a worker
    assert wait_for_workers_log(legacy, "Client left /web/slow/")


def test_sessions_and_logins_work_through_the_workers(legacy):
    from .accounts import Browser

    browser = Browser(legacy).login_as_new_user("carol", "carol-secret-1")
    assert 'data-room="lobby"' in browser.get("/chat/lobby/")


def test_no_worker_answering_gives_504_after_the_timeout(idle):
    status, _, body = request(idle, "/web/echo/")
    assert status == 504 and b"not answered in time" in body
    assert "with 504: no worker replied within 2.0 s" in idle.log(idle.daphne)


async def test_a_full_http_request_channel_answers_503_at_once(idle, redis_url):
    layer = legacy_layer(idle, redis_url)
    try:
        with pytest.raises(ChannelFull):
            for n in range(1000):
                await layer.send("http.request", {"filler": n})
    finally:
        await layer.close()
    status, _, body = await asyncio.to_thread(request, idle, "/web/echo/")
    assert status == 503 and b"too busy" in body
    assert "with 503: channel http.request is full" in idle.log(idle.daphne)


def test_keep_alive_requests_share_one_connection(legacy):
    connection = http.client.HTTPConnection("127.0.0.1", legacy.port, timeout=30)
    try:
        for n in range(3):
            connection.request("GET", f"/web/echo/?n={n}")
            response = connection.getresponse()
            assert json.loads(response.read())["GET"] == {"n": [str(n)]}
    finally:
        connection.close()


def test_the_projects_own_asgi_sends_http_through_workers_when_the_setting_asks(make_system):
    system = make_system(env={"TEST_HTTP_THROUGH_WORKERS": "1"}).start()
    status, _, body = request(system, "/accounts/login/?next=/map/")
    assert status == 200 and b"csrfmiddlewaretoken" in body
    assert wait_for_workers_log(system, "Consumed http.request with <StaticFilesConsumer>")
