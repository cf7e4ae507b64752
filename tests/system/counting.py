"""Counts messages through a running system exactly: sockets send numbered frames to
an echo consumer and numbered broadcasts to a group, and every number must come
back to every socket that should see it once, no more, no fewer. The consumers run
a message delivered twice once, by its ``message.id``, as the README tells
consumers to."""

import asyncio
import collections
import contextlib

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

# How long a socket may see nothing while numbers are still missing: a lost message
# shows as this long a wait, then as the numbers named in the failure.
QUIET_TIMEOUT = 60


class Traffic:
    """``echoes`` sockets on ``echo_path`` and ``members`` sockets in one group on
    /ws/test/broadcast/, each sending ``count`` numbered frames, at most ``window``
    unanswered at a time. ``halfway`` is set once a third of the echoes came back."""

    def __init__(self, system, *, echoes=4, members=3, count=150, window=10, group="counted",
                 echo_path="/ws/test/counted/"):
        self.system, self.group, self.echo_path = system, group, echo_path
        self.count, self.window = count, window
        self.echo_names = [f"e{n}" for n in range(echoes)]
        self.member_names = [f"m{n}" for n in range(members)]
        self.received = {name: collections.Counter() for name in self.echo_names + self.member_names}
        self.closed = {}
        self.halfway = asyncio.Event()
        self._sockets = {}

    @property
    def expected(self):
        """Every socket's numbers: its own echoes, or every member's broadcasts."""
        broadcasts = [f"{member}-{n}" for member in self.member_names for n in range(self.count)]
        return {
            **{name: [f"{name}-{n}" for n in range(self.count)] for name in self.echo_names},
            **{name: broadcasts for name in self.member_names},
        }

    @property
    def total(self):
        return sum(len(numbers) for numbers in self.expected.values())

    async def __aenter__(self):
        for name in self.echo_names:
            self._sockets[name] = await connect(self.system.ws_url(self.echo_path))
        for name in self.member_names:
            self._sockets[name] = await connect(self.system.ws_url(f"/ws/test/broadcast/?group={self.group}"))
        return self

    async def __aexit__(self, *exc_info):
        for socket in self._sockets.values():
            with contextlib.suppress(Exception):
                await socket.close()

    async def run(self):
        """Send every socket's numbers and read until each socket has all it should
        see or stayed quiet for QUIET_TIMEOUT seconds."""
        await asyncio.gather(*(self._run(name) for name in self._sockets))

    async def _run(self, name):
        socket, own = self._sockets[name], self.received[name]
        # Distinct numbers, not frames: a repeated one must not end the read early.
        missing = set(self.expected[name])
        answered = asyncio.Semaphore(self.window)

        async def send():
            for n in range(self.count):
                await answered.acquire()
                frame = f"{name}-{n}"
                await socket.send(frame if name in self.echo_names else f'{{"group": "{self.group}", "text": "{frame}"}}')

        sending = asyncio.ensure_future(send())
        try:
            while missing:
                frame = await asyncio.wait_for(socket.recv(), QUIET_TIMEOUT)
                own[frame] += 1
                missing.discard(frame)
                if frame.startswith(f"{name}-"):
                    answered.release()
                if name == self.echo_names[0] and sum(own.values()) >= self.count // 3:
                    self.halfway.set()
        except ConnectionClosed as closed:
            self.closed[name] = (closed.rcvd.code, closed.rcvd.reason) if closed.rcvd else None
        except TimeoutError:
            pass
        finally:
            sending.cancel()

    async def settle(self, layer_is_empty):
        """Once ``layer_is_empty()`` (a blocking call) says nothing is queued or held
        for the sockets any more, read what each socket still gets before a marker
        of its own comes back: late duplicates are counted too."""
        deadline = asyncio.get_running_loop().time() + QUIET_TIMEOUT
        while not await asyncio.to_thread(layer_is_empty):
            assert asyncio.get_running_loop().time() < deadline, "the layer still holds messages"
            await asyncio.sleep(0.2)
        for name in self.echo_names:
            if name not in self.closed:
                socket = self._sockets[name]
                await socket.send("end")
                while (frame := await asyncio.wait_for(socket.recv(), QUIET_TIMEOUT)) != "end":
                    self.received[name][frame] += 1

    def problems(self):
        """What differs from every number once per socket: missing and repeated."""
        found = {}
        for name, numbers in self.expected.items():
            got = self.received[name]
            missing = sorted(set(numbers) - set(got))
            repeated = sorted(frame for frame, times in got.items() if times > 1)
            unexpected = sorted(set(got) - set(numbers))
            if missing or repeated or unexpected or name in self.closed:
                found[name] = {"missing": missing, "repeated": repeated, "unexpected": unexpected,
                               "closed": self.closed.get(name)}
        return found


def layer_is_empty(client, prefix, channels=("websocket.receive",)):
    """A check for ``Traffic.settle``: the streams of ``channels`` hold no message,
    taken or not, and no process-specific list (a Daphne's replies) holds one.
    ``client`` reaches every key (a cluster client routes each)."""
    for channel in channels:
        if client.xlen(f"{prefix}:c:{{{channel}}}"):
            return False
    if hasattr(client, "get_primaries"):
        servers = [client.get_redis_connection(node) for node in client.get_primaries()]
    else:
        servers = [client]
    return not any(server.llen(key) for server in servers for key in server.scan_iter(f"{prefix}:p:*", count=1000))
