"""Coalesces the writes that one event loop issues concurrently (sends, acks, group
changes) into a single pipelined round trip to Redis, on a connection of its own."""

import asyncio
import logging

from redis.exceptions import ConnectionError, NoScriptError, ResponseError

from ._scripts import SEND
from ._send_once import SEND_ONCE, send_call

# The consumer group that reads every normal channel's stream.
GROUP = "receivers"
# A batch whose connection fails is written again on a fresh one, this many times in
# all, with pauses growing by this many seconds (the server may be coming back).
WRITE_ATTEMPTS = 4
WRITE_RETRY_PAUSE = 0.25

logger = logging.getLogger("channels1.layer")


class Batcher:
    """Queues sends and commands; everything queued while a round trip is in flight
    goes out together in the next one. Order of submission is kept."""

    def __init__(self, client, replica_acks=None, label=""):
        self._client = client
        self._replica_acks, self._label = replica_acks, label
        self._connection = None
        self._sends = []
        self._commands = []
        self._acks = {}
        self._task = None
        self._event_loop = None

    def send(self, key, kind, capacity, data, now_ms, expiry_ms):
        """Queue one push; the future resolves to False (full), else to the message's
        stream entry id (a normal channel) or True (a process's list)."""
        future = self._loop().create_future()
        self._sends.append((key, kind, capacity, data, now_ms, expiry_ms, future))
        self._wake()
        return future

    def _loop(self):
        # The batcher's loop, looked up once: a lookup makes a system call on Python 3.11.
        if self._event_loop is None:
            self._event_loop = asyncio.get_running_loop()
        return self._event_loop

    def command(self, *args):
        """Queue one Redis command; the future resolves to its raw reply."""
        future = self._loop().create_future()
        self._commands.append((args, future))
        self._wake()
        return future

    def ack(self, key, group, id):
        """Queue the acknowledgement and deletion of a stream entry; the acks of one
        stream go out as one XACK and one XDEL."""
        self._acks.setdefault((key, group), []).append(id)
        self._wake()

    def _wake(self):
        if self._task is None:
            self._task = self._loop().create_task(self._drain())

    async def drained(self):
        """Wait until everything queued so far has been written. A round trip
        cancelled with its event loop ends the wait; what is still queued goes
        out in a new one."""
        while self._task is not None or self._sends or self._commands or self._acks:
            if self._task is None:
                self._wake()
            await asyncio.wait([self._task])

    async def close(self):
        await self.drained()
        if self._connection is not None:
            await self._client.connection_pool.release(self._connection)
            self._connection = None

    async def _drain(self):
        try:
            while self._sends or self._commands or self._acks:
                sends, self._sends = self._sends, []
                commands, self._commands = self._commands, []
                acks, self._acks = self._acks, {}
                for (key, group), ids in acks.items():
                    commands.append((("XACK", key, group, *ids), _logged_future()))
                    commands.append((("XDEL", key, *ids), _logged_future()))
                await self._round_trip(sends, commands)
        finally:
            self._task = None

    async def _round_trip(self, sends, commands):
        batch = [args for args, _ in commands]
        futures = [future for _, future in commands]
        groups = self._send_groups(sends) if sends else []
        for group in groups:
            # One script call, after the commands, carries every send of a group; now and
            # expiry come from the newest send, at most one round trip younger than the oldest.
            keys = [send[0] for send in group]
            args = [group[-1][4], group[-1][5], GROUP]
            for _, kind, capacity, data, _, _, _ in group:
                args += (kind, capacity, data)
            batch.append(send_call(keys, args, once=self._replica_acks is not None))
        wait = self._replica_wait()
        try:
            replies = await self._execute_again_on_failure(batch + [wait] if wait else batch)
        except Exception as error:
            for future in futures + [send[-1] for send in sends]:
                _fail(future, error)
            return
        if wait:
            self._replica_acks.settle(self._label, replies.pop())
        for group, reply in zip(groups, replies[len(futures):]):
            self._settle_sends(group, reply)
        for future, reply in zip(futures, replies):
            if isinstance(reply, Exception):
                _fail(future, reply)
            else:
                _resolve(future, reply)

    async def _execute_again_on_failure(self, batch):
        """Write a batch; if its connection fails (the server restarted, or failed over
        behind Sentinels), write it again on a fresh one, up to WRITE_ATTEMPTS times,
        so that a write is not lost for a connection that died before it."""
        attempts = self._replica_acks.write_attempts if self._replica_acks else WRITE_ATTEMPTS
        for attempt in range(1, attempts + 1):
            try:
                return await self._execute(batch)
            except ConnectionError as error:
                await asyncio.sleep(pause_before_writing_again(attempt, len(batch), error, attempts))

    def _replica_wait(self):
        """The WAIT that ends the batch, if replicas are to confirm it."""
        return self._replica_acks.command(self._label) if self._replica_acks else None

    def _send_groups(self, sends):
        """The sends that one script call may carry together: all of them, on one host."""
        return [sends]

    def _settle_sends(self, sends, reply):
        if isinstance(reply, NoScriptError):
            # The server restarted or flushed its scripts: nothing was sent.
            self._commands.insert(0, (("SCRIPT LOAD", SEND.source), _logged_future()))
            self._commands.insert(0, (("SCRIPT LOAD", SEND_ONCE.source), _logged_future()))
            self._sends[:0] = sends
        elif isinstance(reply, Exception):
            for send in sends:
                _fail(send[-1], reply)
        else:
            for send, sent in zip(sends, reply):
                _resolve(send[-1], sent if isinstance(sent, bytes) else bool(sent))

    async def _execute(self, batch):
        connection = await self._live_connection()
        try:
            await connection.send_packed_command(connection.pack_commands(batch))
            replies = []
            for _ in batch:
                try:
                    replies.append(await connection.read_response())
                except ResponseError as error:
                    replies.append(error)
            return replies
        except BaseException:
            # The connection's state is unknown: start afresh on the next batch, with a
            # connection the pool makes anew (behind Sentinels, to the primary of now).
            self._connection = None
            await connection.disconnect()
            await self._client.connection_pool.release(connection)
            raise

    async def _live_connection(self):
        """The batcher's connection; dropped first if the server closed it since the
        last batch (it restarted), so that no batch goes into a dead connection and
        fails, while a new one would have carried it."""
        connection = self._connection
        if connection is None:
            connection = self._connection = await self._client.connection_pool.get_connection()
        elif connection.is_connected:
            try:
                # can_read() since redis-py 8; can_read_destructive() before.
                closed = await getattr(connection, "can_read", connection.can_read_destructive)()
            except (ConnectionError, OSError):
                closed = True
            if closed:
                await connection.disconnect()  # the next write connects again
        return connection


def pause_before_writing_again(attempt, commands, error, attempts=WRITE_ATTEMPTS):
    """The pause after the failed ``attempt`` (of ``attempts``) at a write of ``commands``
    commands, before the next on a new connection; the error again after the last one."""
    if attempt >= attempts:
        raise error
    logger.warning("Redis write of %d command(s) failed (%s): sent again on a new connection", commands, error)
    return WRITE_RETRY_PAUSE * attempt


def _logged_future():
    """A future nobody awaits: a failure is logged instead."""
    future = asyncio.get_running_loop().create_future()
    future.add_done_callback(_log_failure)
    return future


def _log_failure(future):
    if not future.cancelled() and future.exception() is not None:
        logger.error("Redis write failed: %s", future.exception())


def _resolve(future, value):
    if not future.done():
        future.set_result(value)


def _fail(future, error):
    if not future.done():
        future.set_exception(error)
