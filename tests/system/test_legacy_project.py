"""A Channels 1.x project run unchanged (tests/legacy/): Daphne serves its
``legacyproject.asgi:channel_layer`` and two ``manage.py runworker`` run its
consumers, on its 1.x settings (the asgi_redis BACKEND with encryption, ROUTING in
CHANNEL_LAYERS, 'channels' in INSTALLED_APPS)."""

import asyncio
import json
import urllib.request

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from .accounts import Browser
from .legacy import LEGACY_ROOT, legacy_system


@pytest.fixture(scope="module")
def legacy(redis_url, tmp_path_factory):
    system = legacy_system(redis_url, tmp_path_factory.mktemp("legacy"))
    try:
        yield system.start()
    finally:
        system.stop()


@pytest.fixture(scope="module")
def alice(legacy):
    return Browser(legacy).login_as_new_user("alice", "alice-secret-1")


@pytest.fixture(scope="module")
def bob(legacy):
    return Browser(legacy).login_as_new_user("bob", "bob-secret-1")


async def receive_json(socket):
    return json.loads(await asyncio.wait_for(socket.recv(), 10))


def test_pages_and_static_files_are_served_by_the_channel_layer(legacy, alice):
    assert "Legacy chat" in alice.get("/")
    assert 'data-room="lobby"' in alice.get("/chat/lobby/")
    with urllib.request.urlopen(legacy.http_url + "/static/chat/chat.js", timeout=10) as response:
        assert response.status == 200 and b"new WebSocket" in response.read()
    # Its routing routes http.request: the workers ran the views and served the file.
    assert any("http.request" in legacy.log(worker) for worker in legacy.workers)


async def test_room_chat_reaches_each_user_in_the_room_from_both_workers(legacy, alice, bob):
    url = legacy.ws_url("/chat/lobby/")
    async with connect(url, additional_headers=alice.headers()) as alice_socket, \
            connect(url, additional_headers=bob.headers()) as bob_socket, \
            connect(legacy.ws_url("/chat/other/"), additional_headers=bob.headers()) as elsewhere:
        await asyncio.sleep(0.5)  # the joins run in the workers
        sent = []
        for i in range(10):
            sender, name = (alice_socket, "alice") if i % 2 else (bob_socket, "bob")
            await sender.send(f"line {i}")
            sent.append({"user": name, "text": f"line {i}"})
        for socket in (alice_socket, bob_socket):
            received = [await receive_json(socket) for _ in sent]
            assert sorted(received, key=lambda line: line["text"]) == sent
        await elsewhere.send("only here")
        assert await receive_json(elsewhere) == {"user": "bob", "text": "only here"}
    for worker in legacy.workers:
        assert "Consumed websocket.receive" in legacy.log(worker), f"worker {worker.pid} handled no frame"


async def test_anonymous_sockets_are_closed_by_the_consumer(legacy):
    with pytest.raises(InvalidStatus) as refused:
        async with connect(legacy.ws_url("/chat/lobby/"), additional_headers={"Origin": legacy.http_url}):
            pass
    assert refused.value.response.status_code == 403


async def test_a_model_saved_by_another_process_reaches_the_room(legacy, alice):
    async with connect(legacy.ws_url("/chat/news/"), additional_headers=alice.headers()) as socket:
        await asyncio.sleep(0.5)
        await asyncio.to_thread(legacy.manage, "shell", "-c", (
            "from chat.models import ChatMessage; "
            "ChatMessage.objects.create(room='news', username='editor', text='extra edition')"
        ))
        assert await receive_json(socket) == {"user": "editor", "text": "extra edition"}


async def test_message_channel_layer_sends_from_a_consumer(legacy):
    async with connect(legacy.ws_url("/echo/")) as socket:
        await socket.send("ping")
        assert await receive_json(socket) == {"echo": "ping", "channel": "websocket.receive"}


def test_every_module_of_the_project_imports(legacy):
    modules = sorted(
        ".".join(path.relative_to(LEGACY_ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in LEGACY_ROOT.rglob("*.py") if path.name != "manage.py"
    )
    out = legacy.python("-c", (
        "import django, importlib; django.setup(); "
        f"[importlib.import_module(name) for name in {modules!r}]; print('imported')"
    ))
    assert len(modules) >= 12 and out.strip() == "imported"


def test_the_channels_app_gives_the_1x_runworker_with_the_channels4_form(legacy):
    usage = legacy.manage("runworker", "--help")
    assert "--only-channels" in usage and "--exclude-channels" in usage and "--threads" in usage
    assert "channels 4 form" in usage
    assert "[channels]" in legacy.manage("help") and "runredis" in legacy.manage("help")
