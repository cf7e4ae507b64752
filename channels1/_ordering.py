"""What keeps `enforce_ordering` from stalling: an early message waits on its
socket's wait channel with a check beside it, and workers hold the checks; when one
falls due and the socket's turn never came, the waiting messages go on in order."""

import asyncio
import contextvars
import heapq
import itertools
import logging
import time

from django.conf import settings

from . import _sync
from .channel import Channel, while_redis_returns
from .exceptions import ChannelFull

logger = logging.getLogger("channels1.sessions")

NEXT_ORDER_KEY = "__channels_next_order"
# Orders given up on, kept so that one arriving after all still runs (late, not never).
GIVEN_UP_KEY = "__channels_given_up_orders"
GIVEN_UP_KEPT = 100
# Where every early message's check goes; every worker reads it.
CHECKS_CHANNEL = "__wait__.checks"
DEFAULT_GAP_TIMEOUT = 10.0
WAIT_BATCH = 100
RETRY_INTERVAL = 1.0
# True while a test consumes messages one at a time (channels1.test, as 1.x's test
# client did): an early message is parked at once, and a waiting one goes back to its
# channel when its turn comes, for the test to consume, instead of running at once.
one_at_a_time = contextvars.ContextVar("channels1_one_at_a_time", default=False)


def gap_timeout():
    """Seconds an early message waits for the ones before it (CHANNELS1_ORDER_GAP_TIMEOUT)."""
    return getattr(settings, "CHANNELS1_ORDER_GAP_TIMEOUT", DEFAULT_GAP_TIMEOUT)


def wait_channel_name(reply_channel):
    """Where a socket's early messages wait, named as 1.x did: a single-reader
    channel after the reply channel, its ``!`` turned into ``?``."""
    return "__wait__." + reply_channel.replace("!", "?")


def park(layer, message, order, waits_for):
    """Put an early message on its socket's wait channel: its check first, so that
    no message waits without one (a check with nothing waiting costs one look).
    ``waits_for`` is the order the socket is at."""
    reply_channel = message.reply_channel.name
    try:
        _sync.call(lambda: _check(layer, reply_channel, waits_for))
        Channel(wait_channel_name(reply_channel), channel_layer=layer).send(
            dict(message.content, original_channel=message.channel.name), immediately=True)
    except ChannelFull as error:
        raise ChannelFull(f"Cannot park an early message (order {order}) of {reply_channel}: {error}; "
                          "raise the capacity of the channel with channel_capacity")
    logger.debug("Parked %s order %s of %s: it waits for order %s",
                 message.channel.name, order, reply_channel, waits_for)


def take_turn(layer, reply_channel, next_order):
    """The waiting message of ``next_order``, taken off the socket's wait channel to
    be run where the message before it ran: ``(delivery, channel, content)``, to be
    ``finish``-ed, or None. It gets a check (as the others waiting on do), which
    finds it again if its runner dies; waiting messages whose turn has passed go back
    to their channels (a redelivery, or one that came late)."""
    waiting = _sync.call(lambda: _take_waiting(layer, reply_channel))
    turn = next((delivery for delivery in waiting if _order(delivery) == next_order), None)
    if turn is not None:
        waiting.remove(turn)
        _sync.call(lambda: _check(layer, reply_channel, next_order))
    if waiting:
        _sync.call(lambda: _sort_out(layer, reply_channel, waiting, next_order - 1))
    return None if turn is None else (turn, *_unparked(turn.message))


def send_back(layer, delivery, channel, content):
    """Send a message ``take_turn`` gave back to its ``channel`` instead of running it."""
    async def send():
        await Channel(channel, channel_layer=layer).asend(content, immediately=True)
        layer.ack(delivery)

    _sync.call(send)


def finish(layer, delivery):
    """The message ``take_turn`` gave has run: it is done with."""
    _sync.call(lambda: _ack(layer, delivery))


def settle(layer, reply_channel, session, waits_for):
    """A check fell due: the socket's waiting messages whose turn has come go back to
    their channels, the others wait on under a new check. If the socket is still at
    order ``waits_for`` (no progress since the check was made, a whole gap timeout),
    the orders up to the lowest waiting one are given up first, with a WARNING
    naming the socket and the gap. The number sent back."""
    waiting = _sync.call(lambda: _take_waiting(layer, reply_channel))
    if not waiting:
        return 0
    try:
        if session.get(NEXT_ORDER_KEY, 0) == waits_for:
            _give_up_before(session, reply_channel, _order(waiting[0]))
    except BaseException:
        _sync.call(lambda: _abandon(layer, waiting))
        raise
    return _sync.call(lambda: _sort_out(layer, reply_channel, waiting, session.get(NEXT_ORDER_KEY, 0)))


def came_late(session, order):
    """Whether ``order``, whose turn has passed, was given up on rather than run (it
    is taken off the list: a second copy of it is a redelivery)."""
    given_up = session.get(GIVEN_UP_KEY, [])
    if order not in given_up:
        return False
    session[GIVEN_UP_KEY] = [other for other in given_up if other != order]
    return True


def _give_up_before(session, reply_channel, first):
    """Make ``first``, the lowest waiting order, the next one if the socket waits
    for an earlier one still."""
    expected = session.get(NEXT_ORDER_KEY, 0)
    if first <= expected:
        return
    missing = f"order {expected}" if first == expected + 1 else f"orders {expected}-{first - 1}"
    logger.warning("Socket %s: %s did not come within %s s; its waiting messages go on from order %s",
                   reply_channel, missing, gap_timeout(), first)
    given_up = session.get(GIVEN_UP_KEY, []) + list(range(max(expected, first - GIVEN_UP_KEPT), first))
    session[GIVEN_UP_KEY] = given_up[-GIVEN_UP_KEPT:]
    session[NEXT_ORDER_KEY] = first
    session.save()


def _order(delivery):
    return int(delivery.message.get("order", 0))


async def _check(layer, reply_channel, waits_for):
    check = {"reply_channel": reply_channel, "waits_for": waits_for, "due": time.time() + gap_timeout()}
    await Channel(CHECKS_CHANNEL, channel_layer=layer).asend(check, immediately=True)


async def _take_waiting(layer, reply_channel):
    """Every delivery waiting on the socket's wait channel, lowest order first."""
    wait_channel = wait_channel_name(reply_channel)
    waiting = []
    while True:
        batch = await while_redis_returns(lambda: layer.receive_batch([wait_channel], WAIT_BATCH, block=False))
        waiting += batch
        if len(batch) < WAIT_BATCH:
            return sorted(waiting, key=_order)


async def _sort_out(layer, reply_channel, waiting, next_order):
    """Send the deliveries whose turn has come back to their channels and put the
    others back on the wait channel, under a check of their own (taken, they were
    out of sight of the checks that were made for them)."""
    turn = [delivery for delivery in waiting if _order(delivery) <= next_order]
    later = [delivery for delivery in waiting if _order(delivery) > next_order]
    if turn:
        logger.debug("Replaying orders %s of %s", [_order(delivery) for delivery in turn], reply_channel)
    if later:
        await _check(layer, reply_channel, next_order)
    wait_channel = wait_channel_name(reply_channel)
    moves = [(delivery, *_unparked(delivery.message)) for delivery in turn]
    moves += [(delivery, wait_channel, delivery.message) for delivery in later]
    for moved, (delivery, channel, content) in enumerate(moves):
        try:
            await Channel(channel, channel_layer=layer).asend(content, immediately=True)
        except BaseException:
            await _abandon(layer, [delivery for delivery, _, _ in moves[moved:]])
            raise
        layer.ack(delivery)
    return len(turn)


def _unparked(content):
    """The channel a waiting message came from, and the message as it was there."""
    content = dict(content)
    return content.pop("original_channel"), content


async def _ack(layer, delivery):
    layer.ack(delivery)


async def _abandon(layer, deliveries):
    # Not kept alive: a later look takes them again after the visibility timeout.
    for delivery in deliveries:
        layer.abandon(delivery)


class OrderingWatch:
    """A worker's checks of early messages (deliveries on CHECKS_CHANNEL), held
    unacknowledged until due, so a worker that dies leaves them to another; each due
    one settles its socket (run in ``executor``, with ``session_for(reply_channel)``,
    the socket's channel session)."""

    def __init__(self, layer, executor, session_for):
        self.layer = layer
        self.executor = executor
        self.session_for = session_for
        self._due = []  # heap of (due time, tie-breaker, delivery)
        self._ties = itertools.count()
        self._added = asyncio.Event()
        self._task = None
        self._stopping = False

    def hold(self, delivery):
        check = delivery.message
        due = check.get("due")
        if not isinstance(due, (int, float)) or not isinstance(check.get("reply_channel"), str) \
                or not isinstance(check.get("waits_for"), int):
            logger.error("Dropped a malformed check on %s: %r", CHECKS_CHANNEL, delivery.message)
            self.layer.ack(delivery)
            return
        heapq.heappush(self._due, (due, next(self._ties), delivery))
        self._added.set()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self):
        """Settle nothing more (a settling in progress finishes: it runs on this loop
        too) and leave the checks held to other workers."""
        self._stopping = True
        self._added.set()
        if self._task is not None:
            await asyncio.wait([self._task])
        for _, _, delivery in self._due:
            self.layer.abandon(delivery)
        self._due.clear()

    async def _run(self):
        loop = asyncio.get_running_loop()
        while not self._stopping:
            self._added.clear()
            wait = self._due[0][0] - time.time() if self._due else None
            if wait is None or wait > 0:
                try:
                    await asyncio.wait_for(self._added.wait(), wait)
                except TimeoutError:
                    pass
                continue
            _, _, delivery = heapq.heappop(self._due)
            reply_channel = delivery.message["reply_channel"]
            try:
                await loop.run_in_executor(self.executor, self._settle, reply_channel, delivery.message["waits_for"])
            except Exception as error:
                logger.error("Checking the waiting messages of socket %s failed: %s; trying again in %s s",
                             reply_channel, error, RETRY_INTERVAL)
                heapq.heappush(self._due, (time.time() + RETRY_INTERVAL, next(self._ties), delivery))
                continue
            self.layer.ack(delivery)

    def _settle(self, reply_channel, waits_for):
        settle(self.layer, reply_channel, self.session_for(reply_channel), waits_for)
