"""The whole system on Redis as the restricted ACL user the README's Deploying section
suggests: logins, socket tokens, chat and the log tail's RQ job all work within it."""

import asyncio
import json
import re

from websockets.asyncio.client import connect

from channels1.redis_server import RedisServer
from channels1.testing import PROJECT_ROOT

from .accounts import Browser
from .chat_frames import next_line
from .conftest import System

PASSWORD = "acl-test-password-3"


def readme_acl_rules():
    """The rules of the README's ``ACL SETUSER tracker on >PASSWORD ...`` example."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    return re.search(r"`ACL SETUSER tracker on >PASSWORD ([^`]+)`", readme).group(1).split()


async def test_the_system_runs_as_the_readme_redis_acl_user(tmp_path):
    log_path = tmp_path / "app.log"
    log_path.write_text("before\n")
    with RedisServer(tmp_path / "redis", port=None, unix_socket=False) as server:
        admin = server.client()
        admin.execute_command("ACL", "SETUSER", "tracker", "on", f">{PASSWORD}", *readme_acl_rules())
        admin.execute_command("ACL", "SETUSER", "default", "off")
        system = System(f"redis://tracker:{PASSWORD}@127.0.0.1:{server.port}/0", tmp_path / "system",
                        env={"CHANNEL_LAYER_PREFIX": "asgi", "TAILF_FILES": json.dumps({"1": str(log_path)})})
        try:
            system.start(workers=1)
            system.start_rq_worker("tailf")
            browser = Browser(system).login_as_new_user("acl", "acl-user-pass-5", permissions=["tracker.view_logs"])
            origin = {"Origin": system.http_url}
            async with connect(system.ws_url(f"/ws/chat/acl/?token={browser.token()}"),
                               additional_headers=origin) as chat:
                await chat.send(json.dumps({"message": "within the ACL"}))
                assert (await next_line(chat))["message"] == "within the ACL"
            async with connect(system.ws_url(f"/ws/tailf/1/?token={browser.token()}"),
                               additional_headers=origin) as tail:
                assert json.loads(await asyncio.wait_for(tail.recv(), 20))["lines"] == ["before"]
        finally:
            system.stop()
        for process in [system.daphne, *system.workers, *system.rq_workers]:
            assert "NOPERM" not in system.log(process), system.log(process, 40)
