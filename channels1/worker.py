"""The worker: takes messages from the layer as it has free slots, runs the routed
consumer (sync ones in a thread pool, async and nonblocking ones on the loop), sends what the
consumer held, then acknowledges the message. `Worker` and `WorkerGroup` are the
1.x ``channels.worker`` API over it."""

import asyncio
import fnmatch
import inspect
import logging
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from . import _sync
from .exceptions import ChannelFull, ChannelSocketException, ConsumeLater, DenyConnection
from ._consumer_threads import ConsumerThreads
from ._dead_daphnes import DeadDaphneSweeper
from ._heartbeat import Heartbeat
from ._held_sends import holding_sends
from ._ordering import CHECKS_CHANNEL, OrderingWatch
from ._socket_ends import after_consumer, connect_outlived
from .channel import FLUSH_RETRY_INTERVAL, send_held
from .message import Message
from .nonblocking import is_nonblocking
from .sessions import session_for_reply_channel
from .signals import consumer_finished, consumer_started, worker_ready

logger = logging.getLogger("channels1.worker")

MAX_RETRIES = 10
KEEPALIVE = "websocket.keepalive"


class AsyncWorker:
    """Runs consumers for the messages on the router's channels (narrowed by
    ``only_channels`` and ``exclude_channels`` globs), ``threads`` at a time:
    ``await AsyncWorker(router, channel_layer).run()``, as runworker does."""

    def __init__(self, router, channel_layer, only_channels=None, exclude_channels=None, threads=1):
        self.router = router
        # Messages carry the layer as given (1.x code gets the sync layer object of
        # channels1.asgi); the worker itself works on the async layer under it.
        self.message_layer = channel_layer
        self.channel_layer = getattr(channel_layer, "async_layer", channel_layer)
        self.threads = threads
        self.only_channels = only_channels
        self.exclude_channels = exclude_channels
        self.channels = self.apply_channel_filters(router.channels)
        # Set to stop: nothing new is taken, run() returns once running consumers finished.
        self.termed = False
        self._readied = False
        self._executor = None

    def apply_channel_filters(self, channels):
        """The channels to listen on, sorted: those matching an ``only_channels``
        glob (all without any), less those matching an ``exclude_channels`` glob."""
        return sorted(
            name
            for name in channels
            if (not self.only_channels or any(fnmatch.fnmatchcase(name, glob) for glob in self.only_channels))
            and not any(fnmatch.fnmatchcase(name, glob) for glob in self.exclude_channels or ())
        )

    def ready(self):
        """Announce the worker (``worker_ready``); run() does it if nobody did."""
        self._readied = True
        worker_ready.send(sender=self)

    def stop(self):
        """Take nothing new; ``run`` returns once the running consumers finished."""
        self.termed = True

    async def run(self):
        if not self.channels:
            raise ValueError("This worker has no channels to listen on: check the routing and channel filters")
        loop = asyncio.get_running_loop()
        _sync.lend_loop(loop)
        self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix="consumer")
        self._consumer_threads = ConsumerThreads(self.threads, loop)
        running = set()
        if not self._readied:
            self.ready()
        heartbeat = Heartbeat(self.channel_layer, "worker", lambda: {
            "channels": self.channels, "threads": self.threads, "busy": len(running),
        })
        heartbeat.start()
        sweeper = DeadDaphneSweeper(self.channel_layer, heartbeat.interval, self._executor)
        sweeper.start()
        ordering = OrderingWatch(self.channel_layer, self._executor, session_for_reply_channel)
        logger.info("Listening on channels %s with %d thread(s)", ", ".join(self.channels), self.threads)
        failing = False
        try:
            while not self.termed:
                free = self.threads - len(running)
                if free <= 0:
                    await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                    continue
                try:
                    # Every worker keeps its share of the checks of early messages (enforce_ordering).
                    deliveries = await self.channel_layer.receive_batch([*self.channels, CHECKS_CHANNEL], free)
                except Exception as error:
                    if not failing:  # once per outage, not once a second
                        logger.error("Receiving from %s failed: %s; trying again every second",
                                     ", ".join(self.channels), error)
                    failing = True
                    await asyncio.sleep(1)
                    continue
                if failing:
                    logger.info("Receiving from %s again", ", ".join(self.channels))
                    failing = False
                for delivery in deliveries:
                    if delivery.channel == CHECKS_CHANNEL:
                        ordering.hold(delivery)
                        continue
                    task = loop.create_task(self.handle(delivery))
                    running.add(task)
                    task.add_done_callback(running.discard)
            if running:
                await asyncio.wait(running)
        finally:
            await ordering.stop()
            await sweeper.stop()
            await heartbeat.stop()
            try:
                await self.channel_layer.close()
            except Exception as error:
                # Redis may be gone first when everything stops at once.
                logger.warning("Closing the channel layer failed: %s", error)
            self._consumer_threads.stop()
            self._executor.shutdown(wait=True)

    async def handle(self, delivery):
        """Run one message through its consumer, send what it held, acknowledge it."""
        message = Message(delivery.message, delivery.channel, self.message_layer,
                          delivery.message_id, delivery.deliveries)
        try:
            if await connect_outlived(self.channel_layer, delivery.channel, message):
                self.channel_layer.ack(delivery)
                return
            match = self.router.match(message)
            if match is None:
                if delivery.channel == KEEPALIVE:  # an optional no-op in 1.x routings
                    self.channel_layer.ack(delivery)
                    return
                logger.error("No route found for message on channel %s (path %r)", delivery.channel, message.get("path"))
                await after_consumer(self.channel_layer, self._executor, delivery.channel, message)
                self.channel_layer.ack(delivery)
                return
            consumer, kwargs = match
            started = time.monotonic()
            if inspect.iscoroutinefunction(consumer):
                held, outcome = await self._run_async(consumer, message, kwargs)
            elif is_nonblocking(consumer):
                held, outcome = self._run_sync(consumer, message, kwargs)
            else:
                held, outcome = await self._consumer_threads.run(self._run_sync, consumer, message, kwargs)
            logger.debug("Consumed %s with %s", delivery.channel, _name(consumer))
            stats = getattr(self.channel_layer, "stats", None)  # the in-memory layer counts nothing
            if stats is not None:
                stats.observe_latency(delivery.channel, time.monotonic() - started)
            if outcome is ConsumeLater and not await self._consume_later(message):
                self.channel_layer.abandon(delivery)
                return
            await send_held(held)
        except Exception:
            logger.exception("Error handling message on channel %s", delivery.channel)
        await after_consumer(self.channel_layer, self._executor, delivery.channel, message)
        self.channel_layer.ack(delivery)

    def _run_sync(self, consumer, message, kwargs):
        with holding_sends() as held:
            consumer_started.send(sender=self.__class__, environ={})
            try:
                return held, self._call(consumer, message, kwargs)
            finally:
                consumer_finished.send(sender=self.__class__)

    async def _run_async(self, consumer, message, kwargs):
        with holding_sends() as held:
            consumer_started.send(sender=self.__class__, environ={})
            try:
                try:
                    await consumer(message, **kwargs)
                except Exception as error:
                    return held, self._handle_error(error, consumer, message)
                return held, None
            finally:
                consumer_finished.send(sender=self.__class__)

    def _call(self, consumer, message, kwargs):
        try:
            consumer(message, **kwargs)
        except Exception as error:
            return self._handle_error(error, consumer, message)
        return None

    def _handle_error(self, error, consumer, message):
        """What 1.x did with an exception out of a consumer; the worker goes on."""
        channel = message.channel.name
        if isinstance(error, ConsumeLater):
            return ConsumeLater
        if isinstance(error, DenyConnection):
            if channel == "websocket.connect" and message.reply_channel is not None:
                message.reply_channel.send({"close": True})
            else:
                logger.error("DenyConnection raised on %s, where only websocket.connect may raise it", channel)
            return None
        if isinstance(error, ChannelSocketException):
            error.run(message)
            return None
        logger.error(
            "Error in consumer %s for channel %s (path %r)",
            _name(consumer), channel, message.get("path"), exc_info=error,
        )
        return None

    async def _consume_later(self, message):
        """Put the message back at the end of its channel (a full channel is tried 10
        times); False if it could not be put back."""
        retries = message.content.get("__retries__", 0) + 1
        if retries > MAX_RETRIES:
            logger.warning("Dropped message on %s: ConsumeLater more than %d times", message.channel.name, MAX_RETRIES)
            _count_dropped(self.channel_layer, message.channel.name)
            return True
        message.content["__retries__"] = retries
        for _ in range(MAX_RETRIES):
            try:
                await self.channel_layer.send(message.channel.name, message.content)
                return True
            except ChannelFull:
                await asyncio.sleep(FLUSH_RETRY_INTERVAL)
        logger.error("Could not put back a ConsumeLater message on %s: the channel stayed full", message.channel.name)
        return False


class Worker(AsyncWorker):
    """The 1.x worker: ``Worker(channel_layer, signal_handlers=True,
    only_channels=None, exclude_channels=None)`` on the routing of
    ``channel_layer`` (``channel_layers[alias]``, or a layer object with
    ``router``); ``ready()``, then ``run()``, which blocks until ``termed`` is set
    (by SIGTERM or SIGINT when ``signal_handlers`` and run in the main thread).

    ``channels.worker.Worker`` is this class, so it also takes the other call forms
    of that name: ``Worker(router, channel_layer, ...)`` gives an AsyncWorker, and
    channels 4's ``Worker(application, channels, channel_layer)`` channels 4's own.
    """

    def __new__(cls, *args, **kwargs):
        if cls is Worker:
            if "application" in kwargs or "channels" in kwargs or (
                len(args) > 1 and isinstance(args[1], (list, tuple))
            ):
                from _channels1_imports import original

                return original("channels.worker", "Worker")(*args, **kwargs)
            first = args[0] if args else kwargs.get("router", kwargs.get("channel_layer"))
            if not hasattr(first, "send"):  # a router, not a layer
                return AsyncWorker(*args, **kwargs)
        return super().__new__(cls)

    def __init__(self, channel_layer, signal_handlers=True, only_channels=None, exclude_channels=None, threads=1):
        router = channel_layer.router
        # Consumers get the 1.x layer object: a wrapper's, or the one given.
        message_layer = getattr(channel_layer, "channel_layer", channel_layer)
        super().__init__(router, message_layer, only_channels, exclude_channels, threads)
        self.layer = channel_layer
        self.signal_handlers = signal_handlers

    def install_signal_handler(self, loop):
        """SIGTERM and SIGINT stop the worker once its running consumers finished."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self.sigterm_handler)

    def sigterm_handler(self, *args):
        self.stop()

    def run(self):
        """Consume messages until ``termed``; returns when the running consumers finished."""
        asyncio.run(self._serve())

    async def _serve(self):
        if self.signal_handlers and threading.current_thread() is threading.main_thread():
            self.install_signal_handler(asyncio.get_running_loop())
        await AsyncWorker.run(self)


class WorkerGroup(Worker):
    """1.x's group of workers in one process: here one worker running ``n_threads``
    consumers at once (``WorkerGroup(channel_layer, n_threads=4)``)."""

    def __init__(self, *args, n_threads=1, **kwargs):
        super().__init__(*args, threads=n_threads, **kwargs)
        self.n_threads = n_threads


def _count_dropped(layer, channel):
    stats = getattr(layer, "stats", None)  # the in-memory layer counts nothing
    if stats is not None:
        stats.count("dropped", channel)


def _name(consumer):
    return getattr(consumer, "__qualname__", None) or repr(consumer)
