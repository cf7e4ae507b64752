"""A model bound to a stream in the 1.x project (tests/legacy/todo: a WebsocketBinding
behind a WebsocketDemultiplexer, written with 1.x imports only), run for real:
Daphne, two runworker processes, WebSocket clients and a page in headless Chromium."""

import asyncio
import json
import time

import pytest
from websockets.asyncio.client import connect

from .accounts import Browser
from .test_legacy_project import legacy, receive_json  # noqa: F401  (the running 1.x project)

EVENT_TIMEOUT = 30


@pytest.fixture(scope="module")
def editor(legacy):
    browser = Browser(legacy).login_as_new_user("editor", "editor-secret-1")
    legacy.manage("shell", "-c", (
        "from django.contrib.auth.models import Permission, User; "
        "User.objects.get(username='editor').user_permissions.set(Permission.objects.filter(content_type__app_label='todo'))"
    ))
    return browser


@pytest.fixture(scope="module")
def viewer(legacy):
    return Browser(legacy).login_as_new_user("viewer", "viewer-secret-1")


def tasks_socket(system, browser=None):
    headers = browser.headers() if browser else {"Origin": system.http_url}
    return connect(system.ws_url("/tasks/"), additional_headers=headers)


def frame(payload):
    return json.dumps({"stream": "tasks", "payload": payload})


def task_change(action, pk, title, done=False):
    return {"stream": "tasks", "payload": {
        "action": action, "pk": pk, "data": {"title": title, "done": done}, "model": "todo.task",
    }}


def save_task(system, code):
    """Run ``code`` (with Task imported) in a manage.py shell; the pk it prints."""
    return int(system.manage("shell", "-c", f"from todo.models import Task; print({code})").split()[-1])


def task_titles(system):
    return json.loads(system.manage("shell", "-c", (
        "import json; from todo.models import Task; "
        "print(json.dumps(sorted(Task.objects.values_list('title', flat=True))))"
    )).splitlines()[-1])


def wait_for_log_count(system, text, count):
    """Wait until the workers' logs together hold ``text`` ``count`` times."""
    deadline = time.monotonic() + EVENT_TIMEOUT
    while True:
        seen = sum(system.log(worker).count(text) for worker in system.workers)
        if seen >= count or time.monotonic() > deadline:
            return seen
        time.sleep(0.1)


async def test_changes_through_a_socket_reach_every_socket_of_the_list(legacy, editor, viewer):
    async with tasks_socket(legacy, editor) as alice, tasks_socket(legacy, viewer) as bob:
        await alice.send(frame({"action": "create", "data": {"title": "Buy milk"}}))
        created = await receive_json(alice)
        pk = created["payload"]["pk"]
        assert created == task_change("create", pk, "Buy milk")
        assert await receive_json(bob) == created

        await alice.send(frame({"action": "update", "pk": pk, "data": {"done": True}}))
        assert await receive_json(alice) == task_change("update", pk, "Buy milk", done=True)
        assert await receive_json(bob) == task_change("update", pk, "Buy milk", done=True)

        await alice.send(frame({"action": "delete", "pk": pk}))
        assert await receive_json(alice) == task_change("delete", pk, "Buy milk", done=True)
        assert await receive_json(bob) == task_change("delete", pk, "Buy milk", done=True)
    assert "Buy milk" not in task_titles(legacy)


async def test_a_save_in_another_process_reaches_every_socket(legacy, editor, viewer):
    async with tasks_socket(legacy, editor) as alice, tasks_socket(legacy) as anonymous:
        pk = await asyncio.to_thread(save_task, legacy, "Task.objects.create(title='From the shell').pk")
        for socket in (alice, anonymous):
            assert await receive_json(socket) == task_change("create", pk, "From the shell")


async def test_sockets_without_permission_change_nothing(legacy, viewer):
    pk = await asyncio.to_thread(save_task, legacy, "Task.objects.create(title='Keep me').pk")
    before = await asyncio.to_thread(task_titles, legacy)
    denied_before = wait_for_log_count(legacy, "Denied ", 0)
    async with tasks_socket(legacy, viewer) as bob, tasks_socket(legacy) as anonymous:
        for socket in (bob, anonymous):
            await socket.send(frame({"action": "create", "data": {"title": "Not allowed"}}))
            await socket.send(frame({"action": "update", "pk": pk, "data": {"title": "Renamed"}}))
            await socket.send(frame({"action": "delete", "pk": pk}))
        denied = await asyncio.to_thread(wait_for_log_count, legacy, "Denied ", denied_before + 6)
        assert denied == denied_before + 6
        # Nothing came of the six attempts: the next frame each socket gets is this save's.
        sentinel = await asyncio.to_thread(save_task, legacy, "Task.objects.create(title='Sentinel').pk")
        for socket in (bob, anonymous):
            assert await receive_json(socket) == task_change("create", sentinel, "Sentinel")
    assert await asyncio.to_thread(task_titles, legacy) == sorted([*before, "Sentinel"])
    logs = "".join(legacy.log(worker) for worker in legacy.workers)
    assert "Denied delete of todo.task %d to viewer on websocket.receive (path '/tasks/')" % pk in logs
    assert "Denied create of todo.task None to AnonymousUser on websocket.receive (path '/tasks/')" in logs


async def test_bad_frames_are_logged_and_the_socket_goes_on(legacy, editor):
    dropped_before = wait_for_log_count(legacy, "Dropped a frame on websocket.receive (path '/tasks/'", 0)
    async with tasks_socket(legacy, editor) as alice:
        for bad in ("not json", json.dumps({"payload": {}}), json.dumps({"stream": "tasks"}),
                    json.dumps({"stream": "nope", "payload": {}}), frame({"action": "archive", "pk": 1})):
            await alice.send(bad)
        dropped = await asyncio.to_thread(
            wait_for_log_count, legacy, "Dropped a frame on websocket.receive (path '/tasks/'", dropped_before + 5)
        assert dropped == dropped_before + 5
        await alice.send(frame({"action": "create", "data": {"title": "After the bad ones"}}))
        assert (await receive_json(alice))["payload"]["data"]["title"] == "After the bad ones"
    logs = "".join(legacy.log(worker) for worker in legacy.workers)
    assert "no consumer for stream 'nope'" in logs and "unknown action 'archive'" in logs
    assert "Traceback" not in logs


def test_the_task_page_follows_the_stream_with_websocketbridge(legacy, editor, chromium):
    page = chromium.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.context.add_cookies([{"name": name, "value": value, "url": legacy.http_url}
                              for name, value in editor.cookies().items()])
    page.goto(f"{legacy.http_url}/tasks/")
    page.wait_for_function("document.getElementById('status').textContent === 'live'", timeout=EVENT_TIMEOUT * 1000)

    pk = save_task(legacy, "Task.objects.create(title='Saved elsewhere').pk")
    page.wait_for_selector(f"li[data-pk='{pk}']:has-text('Saved elsewhere')", timeout=EVENT_TIMEOUT * 1000)

    page.fill("input[name=title]", "Typed in the page")
    page.click("#new-task button")
    page.wait_for_selector("li:has-text('Typed in the page')", timeout=EVENT_TIMEOUT * 1000)
    assert "Typed in the page" in task_titles(legacy)

    save_task(legacy, f"(Task.objects.get(pk={pk}).delete(), {pk})[1]")
    page.wait_for_selector(f"li[data-pk='{pk}']", state="detached", timeout=EVENT_TIMEOUT * 1000)
    assert errors == []
    page.close()
