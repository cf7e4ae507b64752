"""The live log tail end to end, with real processes: Redis, Daphne, two runworker
processes and an RQ worker running the tail jobs; logged-in WebSocket clients."""

import asyncio
import json
import os
import time
import urllib.error

import pytest
import redis
from rq.job import Job
from rq.registry import StartedJobRegistry
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from .accounts import Browser
from .conftest import System

OLD_LINES = [f"old {i}" for i in range(150)]


@pytest.fixture(scope="module")
def tail_system(redis_url, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tailf")
    log_path = tmp / "app.log"
    log_path.write_text("".join(line + "\n" for line in OLD_LINES))
    running = System(redis_url, tmp, handshake_timeout=5)
    running.env["TAILF_FILES"] = json.dumps({"1": str(log_path), "2": str(tmp / "other.log")})
    running.env["TAILF_INITIAL_LINES"] = "100"
    running.log_path = log_path
    try:
        running.start(workers=2)
        running.start_rq_worker("tailf")
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def carol(tail_system):
    return Browser(tail_system).login_as_new_user("carol", "carol-secret-1", permissions=["tracker.view_logs"])


@pytest.fixture(scope="module")
def store(tail_system):
    client = redis.Redis.from_url(tail_system.env["REDIS_URL"])
    yield client
    client.close()


def append(path, text):
    with open(path, "a") as file:
        file.write(text)


def tail_url(system, file_id, browser=None):
    query = f"?token={browser.token()}" if browser else ""
    return system.ws_url(f"/ws/tailf/{file_id}/{query}")


def viewer(system, browser, file_id=1):
    return connect(tail_url(system, file_id, browser), additional_headers=browser.headers())


async def recv(socket, timeout=10):
    return json.loads(await asyncio.wait_for(socket.recv(), timeout))


async def lines_until(socket, last, timeout=10):
    """The lines that arrive until (and with) ``last``."""
    lines, deadline = [], time.monotonic() + timeout
    while last not in lines:
        frame = await recv(socket, max(0.01, deadline - time.monotonic()))
        assert "lines" in frame, frame
        lines += frame["lines"]
    return lines


async def wait_for(condition, timeout=15, what="condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout} s")
        await asyncio.sleep(0.1)


def running(system, store, file_id=1):
    return bool(store.exists(f"{system.env['CHANNEL_LAYER_PREFIX']}:tailf:{file_id}:running"))


def job_id(system, store, file_id=1):
    return store.get(f"{system.env['CHANNEL_LAYER_PREFIX']}:tailf:{file_id}:job").decode()


def job_status(system, store, file_id=1):
    return Job.fetch(job_id(system, store, file_id), connection=store).get_status().value


def started_jobs(store, file_id=1):
    """The jobs of the file that RQ's registry lists as running."""
    registry = StartedJobRegistry("tailf", connection=store)
    return [job for job in registry.get_job_ids(cleanup=False) if job.startswith(f"tailf-{file_id}-")]


def job_starts(system):
    return system.log(system.rq_workers[0]).count("tail job for log file 1 (")


async def test_viewer_gets_the_last_lines_then_live_ones(tail_system, carol):
    async with viewer(tail_system, carol) as socket:
        first = await recv(socket)
        assert first == {"lines": OLD_LINES[-100:], "initial": True}
        append(tail_system.log_path, "live 1\nlive 2\n")
        assert await lines_until(socket, "live 2") == ["live 1", "live 2"]
        append(tail_system.log_path, "partial")
        await asyncio.sleep(0.3)
        append(tail_system.log_path, " line\n")
        assert await lines_until(socket, "partial line") == ["partial line"]


async def test_a_burst_arrives_in_few_messages(tail_system, carol):
    async with viewer(tail_system, carol) as socket:
        await recv(socket)
        burst = [f"burst {i:05d} " + "x" * 90 for i in range(3000)]  # about 300 KB
        append(tail_system.log_path, "".join(line + "\n" for line in burst))
        lines, frames = [], 0
        while burst[-1] not in lines:
            frame = await recv(socket)
            frames += 1
            assert len(frame["text"] if "text" in frame else json.dumps(frame)) < 80 * 1024
            lines += frame["lines"]
        assert lines == burst
        assert frames <= 20


async def test_two_viewers_share_one_job(tail_system, carol, store):
    await wait_for(lambda: not running(tail_system, store), what="the previous job to end")
    starts = job_starts(tail_system)
    async with viewer(tail_system, carol) as first, viewer(tail_system, carol) as second:
        assert (await recv(first))["initial"] and (await recv(second))["initial"]
        append(tail_system.log_path, "shared\n")
        assert await lines_until(first, "shared") == ["shared"]
        assert await lines_until(second, "shared") == ["shared"]
        assert job_starts(tail_system) == starts + 1
        await wait_for(lambda: len(started_jobs(store)) == 1, what="RQ to list one started job of the file")
        listing = tail_system.manage("tailf_list")
        row = next(line.split() for line in listing.splitlines() if line.startswith("1 "))
        assert row[2] == job_id(tail_system, store) and row[4:] == ["yes", "2"]


async def test_rotation_is_followed(tail_system, carol):
    path = tail_system.log_path
    async with viewer(tail_system, carol) as socket:
        await recv(socket)
        append(path, "before rotation\n")
        assert await lines_until(socket, "before rotation") == ["before rotation"]
        os.rename(path, f"{path}.1")
        append(f"{path}.1", "late in the old file\n")
        append(path, "first in the new file\n")
        assert await lines_until(socket, "first in the new file") == ["late in the old file", "first in the new file"]
        append(path, "second in the new file\n")
        assert await lines_until(socket, "second in the new file") == ["second in the new file"]


async def test_stop_ends_only_that_viewers_stream(tail_system, carol):
    async with viewer(tail_system, carol) as stopper, viewer(tail_system, carol) as other:
        await recv(stopper)
        await recv(other)
        await stopper.send(json.dumps({"action": "stop"}))
        assert await recv(stopper) == {"stopped": "stopped"}
        append(tail_system.log_path, "after stop\n")
        assert await lines_until(other, "after stop") == ["after stop"]
        with pytest.raises(asyncio.TimeoutError):
            await recv(stopper, timeout=1)
        await stopper.send(json.dumps({"action": "start"}))
        again = await recv(stopper)
        assert again["initial"] and again["lines"][-1] == "after stop"
        append(tail_system.log_path, "after start\n")
        assert await lines_until(stopper, "after start") == ["after start"]


async def test_a_ping_keeps_the_viewer_fresh(tail_system, carol, store):
    viewers = f"{tail_system.env['CHANNEL_LAYER_PREFIX']}:tailf:1:viewers"
    async with viewer(tail_system, carol) as socket:
        await recv(socket)
        # A minute without a ping, for every viewer (within the 120 s viewer timeout).
        a_minute_ago = time.time() - 60
        store.zadd(viewers, {member: a_minute_ago for member in store.zrange(viewers, 0, -1)}, xx=True)
        await socket.send(json.dumps({"action": "ping"}))

        def refreshed():
            return any(score > a_minute_ago + 30 for _, score in store.zrange(viewers, 0, -1, withscores=True))

        await wait_for(refreshed, what="the ping to refresh the viewer")


async def test_the_job_ends_after_the_last_viewer_leaves(tail_system, carol, store):
    async with viewer(tail_system, carol) as socket:
        await recv(socket)
        assert running(tail_system, store)
    await wait_for(lambda: not running(tail_system, store), timeout=15, what="the job to end")
    await wait_for(lambda: job_status(tail_system, store) == "finished", timeout=5, what="RQ to mark the job finished")
    assert "ended: no viewers left" in tail_system.log(tail_system.rq_workers[0])


async def test_an_admin_stops_the_job_and_the_next_viewer_starts_it_again(tail_system, carol, store):
    async with viewer(tail_system, carol) as socket:
        await recv(socket)
        await wait_for(lambda: job_status(tail_system, store) == "started", what="the job to start")
        output = await asyncio.to_thread(tail_system.manage, "tailf_stop", "1")
        assert "sent the stop command" in output
        assert await recv(socket) == {"stopped": "stopped by an administrator"}
        await wait_for(lambda: job_status(tail_system, store) == "stopped", what="RQ to stop the job")
    async with viewer(tail_system, carol) as socket:
        assert (await recv(socket))["initial"]
        append(tail_system.log_path, "after restart\n")
        assert await lines_until(socket, "after restart") == ["after restart"]


async def test_a_file_that_does_not_exist_yet_is_followed_once_it_does(tail_system, carol):
    other = tail_system.log_path.parent / "other.log"
    async with viewer(tail_system, carol, file_id=2) as socket:
        assert await recv(socket) == {"lines": [], "initial": True}
        append(other, "created\n")
        assert await lines_until(socket, "created") == ["created"]


@pytest.mark.parametrize("file_id", ["99", "abc", "01"])
async def test_an_unknown_id_gets_an_error_and_close_4404(tail_system, carol, file_id):
    async with viewer(tail_system, carol, file_id=file_id) as socket:
        assert await recv(socket) == {"error": "no such log file"}
        with pytest.raises(ConnectionClosed) as closed:
            await recv(socket)
        assert closed.value.rcvd.code == 4404


async def test_an_anonymous_socket_gets_close_4403(tail_system):
    headers = {"Origin": tail_system.http_url}
    async with connect(tail_url(tail_system, 1), additional_headers=headers) as socket:
        with pytest.raises(ConnectionClosed) as closed:
            await recv(socket)
        assert closed.value.rcvd.code == 4403


async def test_a_user_without_the_view_logs_permission_is_refused_page_and_socket(tail_system):
    dan = Browser(tail_system).login_as_new_user("dan", "dan-secret-1")
    with pytest.raises(urllib.error.HTTPError) as refused:
        dan.get("/tailf/")
    assert refused.value.code == 403
    async with viewer(tail_system, dan) as socket:
        assert await recv(socket) == {"error": "you may not follow the server's logs"}
        with pytest.raises(ConnectionClosed) as closed:
            await recv(socket)
        assert closed.value.rcvd.code == 4003
    assert "dan started viewing" not in tail_system.log(tail_system.workers[0]) + tail_system.log(tail_system.workers[1])


def test_staff_follow_the_logs_without_being_given_the_permission(tail_system):
    staff = Browser(tail_system).login_as_new_user("sam", "sam-secret-1", staff=True)
    assert "1 · app.log" in staff.get("/tailf/")


def test_the_page_lists_files_by_name_and_opens_the_socket(tail_system, carol):
    page = carol.get("/tailf/")
    assert "/static/tracker/tailf.js" in page and "/ws-token/" in page
    assert "1 · app.log" in page and "2 · other.log" in page
    assert str(tail_system.log_path) not in page
