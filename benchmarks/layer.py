"""Channel layer benchmark: channels1's RedisChannelLayer against channels_redis on the
same Redis server in the same run, for send-to-receive throughput, round-trip latency
and group_send fan-out; and a sync Channel.send/Group.send from plain code against one
bare redis-py command in the same process. Run: python -m benchmarks.layer [--runs N] [--messages N] [--quick]
[--only throughput|latency|sync|fanout] [--json PATH]; ``--only`` runs and reports that part alone."""

import asyncio
import collections
import contextlib
import dataclasses
import multiprocessing
import os
import sys
import time
from multiprocessing.connection import wait as wait_for_any

from . import _util

CAPACITY = 100_000
PREFIXES = {"ours": "bench_c1", "channels_redis": "bench_cr"}
TEXT = "x" * 64
SEND_CONCURRENCY = 16
RECEIVE_BATCH = 100
READY_TIMEOUT = 60
RUN_TIMEOUT = 120
REPLY_TIMEOUT = 10
# receive_prefetch of the read-ahead row: 32 measured no faster than 16, 64 slower.
PREFETCH = 16
PARTS = ("throughput", "latency", "sync", "fanout")


@dataclasses.dataclass(frozen=True)
class Variant:
    """A layer and the receiving API its consumers use: "worker" is receive_batch()
    plus ack(), "receive" is the channels 4 receive() (reading ahead ``prefetch``
    messages, ours only)."""

    label: str
    layer: str
    api: str
    prefetch: int = 1


OURS_WORKER = Variant("ours worker API", "ours", "worker")
OURS_RECEIVE = Variant("ours receive()", "ours", "receive")
OURS_PREFETCH = Variant(f"ours receive(), prefetch {PREFETCH}", "ours", "receive", PREFETCH)
CHANNELS_REDIS = Variant("channels_redis", "channels_redis", "receive")
VARIANTS = (OURS_WORKER, OURS_RECEIVE, CHANNELS_REDIS)
THROUGHPUT_VARIANTS = (OURS_WORKER, OURS_RECEIVE, OURS_PREFETCH, CHANNELS_REDIS)


@dataclasses.dataclass(frozen=True)
class Settings:
    runs: int = 3
    messages: int = 10_000
    round_trips: int = 2_000
    warmup_round_trips: int = 200
    fanout_sizes: tuple = (1, 10, 100, 1000, 10_000)
    fanout_processes: tuple = (1, 4)
    largest_fanout_on_many: int = 1000  # bigger groups are measured on one process only
    fanouts: int = 20
    min_fanouts: int = 5
    warmup_fanouts: int = 2
    fanout_seconds: float = 6.0
    sync_sends: int = 2_000
    sync_rounds: int = 10
    only: str = ""  # one of PARTS, or every part

    @classmethod
    def quick(cls, runs=1):
        return cls(runs=runs, messages=2_000, round_trips=200, warmup_round_trips=20, fanouts=5,
                   min_fanouts=3, warmup_fanouts=1, fanout_seconds=1.0, sync_sends=500, sync_rounds=6)


def make_layer(kind, url, prefetch=1):
    if kind == "ours":
        from channels1.layer import RedisChannelLayer

        return RedisChannelLayer(hosts=[url], prefix=PREFIXES[kind], capacity=CAPACITY, receive_prefetch=prefetch)
    from channels_redis.core import RedisChannelLayer

    return RedisChannelLayer(hosts=[url], prefix=PREFIXES[kind], capacity=CAPACITY)


async def close_layer(layer):
    if hasattr(layer, "close"):
        await layer.close()
    else:
        await layer.close_pools()


async def warm_up(layer, name):
    """One message through the layer, so connections are open before timing starts."""
    channel = f"bench.warmup.{name}.{os.getpid()}"
    await layer.send(channel, {"type": "bench.warmup"})
    async with asyncio.timeout(REPLY_TIMEOUT):
        await layer.receive(channel)


def is_intact(message):
    return message.get("text") == TEXT


# Child processes. Each talks to the parent over one pipe: ("ready",) when set up,
# then ("result", data) or ("error", traceback). Every wait in them is bounded.


async def _produce(pipe, url, kind, channel, total, go):
    from channels.exceptions import ChannelFull

    layer = make_layer(kind, url)
    try:
        await warm_up(layer, "producer")
        pipe.send(("ready",))
        if not go.wait(READY_TIMEOUT):
            raise TimeoutError("no go from the parent")
        deadline = _util.Deadline(RUN_TIMEOUT)
        numbers = iter(range(total))
        full = 0

        async def sender():
            nonlocal full
            for number in numbers:
                message = {"type": "bench.message", "number": number, "text": TEXT}
                while True:
                    try:
                        await layer.send(channel, message)
                        break
                    except ChannelFull:
                        full += 1
                        if deadline.passed():
                            raise
                        await asyncio.sleep(0.005)

        async with asyncio.timeout(RUN_TIMEOUT):
            await asyncio.gather(*(sender() for _ in range(SEND_CONCURRENCY)))
        pipe.send(("result", {"channel_full": full}))
    finally:
        await close_layer(layer)


async def _consume(pipe, url, variant, channel, total, consumers, go, counter, finished, done):
    """Counts into the shared counter; the consumer that brings it to `total` marks the
    end. Workers stop on the done flag between batches; receive() consumers stop on a
    stop message (one per other consumer, sent by the one that finished), so that no
    receive is ever cancelled."""
    layer = make_layer(variant.layer, url, variant.prefetch)
    numbers = []
    damaged = 0

    def take(message):
        nonlocal damaged
        numbers.append(message.get("number"))
        if not is_intact(message):
            damaged += 1

    def count(received):
        """True for the consumer whose messages completed the total."""
        with counter.get_lock():
            counter.value += received
            if counter.value >= total and not done.is_set():
                finished.value = time.monotonic()
                done.set()
                return True
        return False

    try:
        await warm_up(layer, "consumer")
        pipe.send(("ready",))
        if not go.wait(READY_TIMEOUT):
            raise TimeoutError("no go from the parent")
        deadline = _util.Deadline(RUN_TIMEOUT)
        if variant.api == "worker":
            while not done.is_set() and not deadline.passed():
                deliveries = await layer.receive_batch([channel], RECEIVE_BATCH)
                for delivery in deliveries:
                    take(delivery.message)
                    layer.ack(delivery)
                if deliveries:
                    count(len(deliveries))
        else:
            async with asyncio.timeout(RUN_TIMEOUT):
                while True:
                    message = await layer.receive(channel)
                    if message.get("stop"):
                        break
                    take(message)
                    if count(1):
                        for _ in range(consumers - 1):
                            await layer.send(channel, {"type": "bench.message", "stop": True})
                        break
        pipe.send(("result", {"numbers": numbers, "damaged": damaged}))
    finally:
        await close_layer(layer)


async def _echo(pipe, url, variant, channel):
    layer = make_layer(variant.layer, url)
    echoed = 0
    stopping = False

    async def answer(message):
        nonlocal echoed, stopping
        if message.get("stop"):
            stopping = True
        else:
            await layer.send(message["reply"], {"type": "bench.reply", "number": message["number"], "text": TEXT})
            echoed += 1

    try:
        await warm_up(layer, "echo")
        pipe.send(("ready",))
        async with asyncio.timeout(RUN_TIMEOUT):
            while not stopping:
                if variant.api == "worker":
                    for delivery in await layer.receive_batch([channel], RECEIVE_BATCH):
                        await answer(delivery.message)
                        layer.ack(delivery)
                else:
                    await answer(await layer.receive(channel))
        pipe.send(("result", {"echoed": echoed}))
    finally:
        await close_layer(layer)


async def _ask(pipe, url, variant, channel, round_trips, warmup, go):
    layer = make_layer(variant.layer, url)
    try:
        reply_channel = await layer.new_channel()
        pipe.send(("ready",))
        if not go.wait(READY_TIMEOUT):
            raise TimeoutError("no go from the parent")
        deadline = _util.Deadline(RUN_TIMEOUT)
        seconds = []
        wrong = 0
        for number in range(warmup + round_trips):
            if deadline.passed():
                break
            request = {"type": "bench.request", "number": number, "reply": reply_channel, "text": TEXT}
            start = time.perf_counter()
            await layer.send(channel, request)
            async with asyncio.timeout(REPLY_TIMEOUT):
                reply = await layer.receive(reply_channel)
            elapsed = time.perf_counter() - start
            if reply.get("number") != number or not is_intact(reply):
                wrong += 1
            if number >= warmup:
                seconds.append(elapsed)
        await layer.send(channel, {"type": "bench.request", "stop": True})
        pipe.send(("result", {"seconds": seconds, "wrong": wrong}))
    finally:
        await close_layer(layer)


async def _fan_receiver(pipe, url, kind):
    """Takes commands from the parent: ("setup", group, members) makes that many
    process-specific channels in the group, each receiving in a task of its own, and
    reports ("done", k, time) once all of them got fan-out k; ("teardown",) waits for
    them to end on the stop message sent to the group; ("stop",) ends the process."""
    layer = make_layer(kind, url)
    loop = asyncio.get_running_loop()
    commands = asyncio.Queue()

    def read_command():
        try:
            commands.put_nowait(pipe.recv())
        except (EOFError, OSError):
            loop.remove_reader(pipe.fileno())
            commands.put_nowait(("stop",))

    loop.add_reader(pipe.fileno(), read_command)
    members = []
    problems = []
    try:
        deadline = _util.Deadline(RUN_TIMEOUT * 4)
        while True:
            async with asyncio.timeout(deadline.left()):
                command, *args = await commands.get()
            if command == "stop":
                break
            if command == "setup":
                group, count = args
                channels = [await layer.new_channel() for _ in range(count)]
                for start in range(0, count, 16):
                    await asyncio.gather(*(layer.group_add(group, channel) for channel in channels[start:start + 16]))
                received = collections.Counter()

                async def member(channel, count, received):
                    expected = 0
                    while True:
                        message = await layer.receive(channel)
                        if message.get("stop"):
                            return
                        k = message.get("k")
                        if k != expected or not is_intact(message):
                            problems.append(f"{channel} got fan-out {k!r}, expected {expected}")
                        expected = expected + 1 if not isinstance(k, int) else k + 1
                        received[k] += 1
                        if received[k] == count:
                            del received[k]
                            pipe.send(("done", k, time.monotonic()))

                members = [asyncio.create_task(member(channel, count, received)) for channel in channels]
                pipe.send(("ready",))
            elif command == "teardown":
                try:
                    async with asyncio.timeout(REPLY_TIMEOUT):
                        await asyncio.gather(*members)
                except TimeoutError:
                    waiting = sum(not task.done() for task in members)
                    problems.append(f"{waiting} member(s) got no stop message within {REPLY_TIMEOUT}s")
                    for task in members:
                        task.cancel()
                    await asyncio.gather(*members, return_exceptions=True)
                members = []
                pipe.send(("clean", problems[:20]))
                problems.clear()
    finally:
        loop.remove_reader(pipe.fileno())
        for task in members:
            task.cancel()
        await asyncio.gather(*members, return_exceptions=True)
        await close_layer(layer)


def _sync_sends(pipe, url, sends, rounds):
    """Plain sync code (no event loop of its own) timing, in interleaved rounds, a
    Channel.send, a Group.send to a group of 10 sockets of one process, and one bare
    redis-py XADD of the same packed message: the median microseconds per call of each."""
    import msgpack
    import redis

    from channels1.channel import Channel, Group

    try:
        layer = make_layer("ours", url)
        client = redis.Redis.from_url(url)
        message = {"type": "bench.message", "text": TEXT}
        body = msgpack.packb(message, use_bin_type=True)
        channel = Channel("bench.sync", channel_layer=layer)
        group = Group("bench.sync", channel_layer=layer)
        for index in range(10):
            group.add(f"daphne.response.{layer.client_prefix}!bench{index}")
        stream = "bench_c1:bench.bare"
        calls = {
            "Channel.send": lambda: channel.send(message),
            "Group.send": lambda: group.send(message),
            "redis-py XADD": lambda: client.xadd(stream, {"m": body}, maxlen=1000, approximate=True),
        }
        for call in calls.values():  # connections open, scripts loaded
            for _ in range(20):
                call()
        timings = {name: [] for name in calls}
        per_round = max(1, sends // rounds)
        for _ in range(rounds):
            for name, call in calls.items():
                started = time.perf_counter()
                for _ in range(per_round):
                    call()
                timings[name].append((time.perf_counter() - started) / per_round * 1e6)
        _util.clear_prefixes(url, [PREFIXES["ours"]])
        client.close()
        pipe.send(("result", {name: _util.median(values) for name, values in timings.items()}))
    except BaseException:
        import traceback

        pipe.send(("error", traceback.format_exc()))
        sys.exit(1)


# The parent's side of each case


class Children:
    """Child processes, each with its pipe; reaped on exit, whatever happened."""

    def __init__(self):
        self.context = multiprocessing.get_context("spawn")
        self.processes = []
        self.pipes = []

    def start(self, name, function, *args):
        mine, theirs = self.context.Pipe()
        process = self.context.Process(target=_util.child_main, args=(function, theirs, *args), name=name, daemon=True)
        process.start()
        theirs.close()
        self.processes.append(process)
        self.pipes.append(mine)
        return mine

    def expect(self, pipe, kind, timeout=READY_TIMEOUT):
        """The next message on a child's pipe, which must be of the given kind."""
        return _util.expect(pipe, kind, timeout)

    def wait_all(self, kind, timeout=READY_TIMEOUT):
        return [self.expect(pipe, kind, timeout) for pipe in self.pipes]

    def failed(self):
        return any(process.exitcode not in (None, 0) for process in self.processes)

    def error_report(self):
        """The traceback a child sent before dying, if any."""
        for pipe in wait_for_any(self.pipes, timeout=0):
            with contextlib.suppress(EOFError, OSError):
                message = pipe.recv()
                if message[0] == "error":
                    return message[1]
        return None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        for pipe in self.pipes:
            with contextlib.suppress(OSError):
                pipe.send(("stop",))
        self.stopped = _util.reap(self.processes)
        for pipe in self.pipes:
            pipe.close()
        if self.stopped:
            print(f"    had to stop {', '.join(self.stopped)}", file=sys.stderr)


def throughput_run(url, variant, consumers, total):
    """Messages per second from the first send until every message was received."""
    _util.clear_prefixes(url, PREFIXES.values())
    channel = "bench.throughput"
    with Children() as children:
        context = children.context
        go, done = context.Event(), context.Event()
        counter, finished = context.Value("q", 0), context.Value("d", 0.0)
        producer = children.start("producer", _produce, url, variant.layer, channel, total, go)
        consumer_pipes = [
            children.start(
                f"consumer{index}", _consume, url, variant, channel, total, consumers, go, counter, finished, done
            )
            for index in range(consumers)
        ]
        children.wait_all("ready")
        started = time.monotonic()
        go.set()
        deadline = _util.Deadline(RUN_TIMEOUT)
        while not done.wait(0.05):
            if deadline.passed() or children.failed():
                raise _util.ChildFailed(children.error_report() or f"only {counter.value} of {total} messages arrived")
        seconds = finished.value - started
        (sent,) = children.expect(producer, "result")
        reports = [children.expect(pipe, "result")[0] for pipe in consumer_pipes]
    numbers = [number for report in reports for number in report["numbers"]]
    unique = set(numbers)
    return {
        "seconds": seconds,
        "rate": total / seconds,
        "received": len(numbers),
        "per_consumer": [len(report["numbers"]) for report in reports],
        "duplicates": len(numbers) - len(unique),
        "missing": len(set(range(total)) - unique),
        "damaged": sum(report["damaged"] for report in reports),
        "channel_full": sent["channel_full"],
    }


def latency_run(url, variant, round_trips, warmup):
    """Round trips to an echo process, one at a time: p50 and p99 in ms."""
    _util.clear_prefixes(url, PREFIXES.values())
    channel = "bench.echo"
    with Children() as children:
        go = children.context.Event()
        echo = children.start("echo", _echo, url, variant, channel)
        asker = children.start("client", _ask, url, variant, channel, round_trips, warmup, go)
        children.wait_all("ready")
        go.set()
        (report,) = children.expect(asker, "result", RUN_TIMEOUT)
        (echoed,) = children.expect(echo, "result")
    milliseconds = [seconds * 1000 for seconds in report["seconds"]]
    return {
        "p50": _util.percentile(milliseconds, 0.50),
        "p99": _util.percentile(milliseconds, 0.99),
        "round_trips": len(milliseconds),
        "wrong": report["wrong"],
        "echoed": echoed["echoed"],
    }


def sync_send_run(url, settings):
    """Microseconds per sync send from plain code, and per bare redis-py command."""
    _util.clear_prefixes(url, PREFIXES.values())
    context = multiprocessing.get_context("spawn")
    mine, theirs = context.Pipe()
    process = context.Process(target=_sync_sends, args=(theirs, url, settings.sync_sends, settings.sync_rounds),
                              name="sync-sender", daemon=True)
    process.start()
    theirs.close()
    try:
        (result,) = _util.expect(mine, "result", RUN_TIMEOUT)
    finally:
        _util.reap([process])
        mine.close()
    return result


def fanout_run(url, kind, processes, settings):
    """For each group size: ms from the group_send call until every member of the
    group, spread over the receiver processes, has its message (median of fan-outs)."""
    _util.clear_prefixes(url, PREFIXES.values())
    results = {}
    with Children() as children, asyncio.Runner() as runner:
        receivers = [children.start(f"receiver{index}", _fan_receiver, url, kind) for index in range(processes)]
        layer = make_layer(kind, url)
        try:
            for size in settings.fanout_sizes:
                if size < processes or (processes > 1 and size > settings.largest_fanout_on_many):
                    continue
                results[size] = _fanout_size(children, receivers, runner, layer, size, settings)
        finally:
            runner.run(close_layer(layer))
    return results


def _fanout_size(children, receivers, runner, layer, size, settings):
    group = f"bench.fanout.{size}"
    shares = [size // len(receivers) + (index < size % len(receivers)) for index in range(len(receivers))]
    active = []
    for pipe, share in zip(receivers, shares):
        if share:
            pipe.send(("setup", group, share))
            active.append(pipe)
    for pipe in active:
        children.expect(pipe, "ready")
    milliseconds = []
    deadline = _util.Deadline(settings.fanout_seconds)
    for k in range(settings.warmup_fanouts + settings.fanouts):
        if k >= settings.warmup_fanouts + settings.min_fanouts and deadline.passed():
            break
        start = time.monotonic()
        runner.run(layer.group_send(group, {"type": "bench.fanout", "k": k, "text": TEXT}))
        finish = 0.0
        for pipe in active:
            done_k, at = children.expect(pipe, "done", REPLY_TIMEOUT * 3)
            if done_k != k:
                raise _util.ChildFailed(f"fan-out {k} to {size} members: a receiver finished fan-out {done_k}")
            finish = max(finish, at)
        if k >= settings.warmup_fanouts:
            milliseconds.append((finish - start) * 1000)
    runner.run(layer.group_send(group, {"type": "bench.fanout", "stop": True}))
    problems = []
    for pipe in active:
        pipe.send(("teardown",))
        (found,) = children.expect(pipe, "clean")
        problems += found
    return {"ms": _util.median(milliseconds), "samples": milliseconds, "problems": problems}


# Running the cases and reporting


def _attempt(problems, name, function, *args):
    """Run one case; a failure is recorded and the benchmark goes on."""
    try:
        return function(*args)
    except (_util.ChildFailed, TimeoutError, OSError, EOFError) as error:
        problems.append(f"{name}: {type(error).__name__}: {str(error).strip()[-2000:]}")
        _util.progress(f"    FAILED: {problems[-1]}")
        return None


def run(settings, url):
    """Every case, runs interleaved across the layers so that drift hits all alike.
    Returns the per-run results by case, each case's details, and the problems seen."""
    problems = []
    cases = []
    throughput = {}
    for consumers in (1, 2) if _runs_part(settings, "throughput") else ():
        for run_index in range(settings.runs):
            for variant in THROUGHPUT_VARIANTS:
                name = f"throughput 1 producer -> {consumers} consumer(s), {variant.label}, run {run_index + 1}"
                result = _attempt(problems, name, throughput_run, url, variant, consumers, settings.messages)
                throughput.setdefault((consumers, variant.label), []).append(result)
                cases.append({"case": name, "result": result})
                if result:
                    _util.progress(f"{name}: {result['rate']:,.0f} msg/s, split {result['per_consumer']}")
                    if result["duplicates"] or result["missing"] or result["damaged"]:
                        problems.append(
                            f"{name}: {result['duplicates']} duplicate deliveries; when the count reached "
                            f"{settings.messages:,}, {result['missing']} distinct messages had not arrived; "
                            f"{result['damaged']} damaged"
                        )

    latency = {}
    for run_index in range(settings.runs if _runs_part(settings, "latency") else 0):
        for variant in VARIANTS:
            name = f"round trip, {variant.label}, run {run_index + 1}"
            result = _attempt(problems, name, latency_run, url, variant, settings.round_trips,
                              settings.warmup_round_trips)
            latency.setdefault(variant.label, []).append(result)
            cases.append({"case": name, "result": result})
            if result:
                _util.progress(f"{name}: p50 {result['p50']:.3f} ms, p99 {result['p99']:.3f} ms")
                if result["wrong"] or result["round_trips"] < settings.round_trips:
                    problems.append(f"{name}: {result['wrong']} wrong replies, "
                                    f"{result['round_trips']} of {settings.round_trips} round trips done")

    sync_send = []
    for run_index in range(settings.runs if _runs_part(settings, "sync") else 0):
        name = f"sync sends from plain code, run {run_index + 1}"
        result = _attempt(problems, name, sync_send_run, url, settings)
        sync_send.append(result)
        cases.append({"case": name, "result": result})
        if result:
            _util.progress(f"{name}: " + ", ".join(f"{key} {value:.0f} us" for key, value in result.items()))

    fanout = {}
    for run_index in range(settings.runs if _runs_part(settings, "fanout") else 0):
        for processes in settings.fanout_processes:
            for kind in ("ours", "channels_redis"):
                name = f"fan-out over {processes} process(es), {kind}, run {run_index + 1}"
                result = _attempt(problems, name, fanout_run, url, kind, processes, settings) or {}
                cases.append({"case": name, "result": result})
                for size, outcome in result.items():
                    fanout.setdefault((processes, size, kind), []).append(outcome)
                    _util.progress(f"{name}: {size} members {outcome['ms']:.2f} ms")
                    problems += [f"{name}, {size} members: {problem}" for problem in outcome["problems"]]

    return {"throughput": throughput, "latency": latency, "sync_send": sync_send, "fanout": fanout, "cases": cases,
            "problems": problems}


def _runs_part(settings, part):
    return settings.only in ("", part)


def _part(name):
    """The ``--only`` option's value: a part of the benchmark."""
    if name not in PARTS:
        raise ValueError(name)
    return name


def _row(benchmark, unit, ours_runs, theirs_runs, target=None):
    ours, theirs = _util.median(ours_runs), _util.median(theirs_runs)
    ratio = _util.ratio(ours, theirs)
    met = ""
    if target is not None and ratio is not None:
        low, high = target
        met = "yes" if (low is None or ratio >= low) and (high is None or ratio <= high) else "NO"
    return {
        "benchmark": benchmark,
        "unit": unit,
        "ours": ours,
        "baseline": theirs,
        "ratio": ratio,
        "target": _describe_target(target),
        "met": met,
        "runs": {"ours": ours_runs, "baseline": theirs_runs},
    }


def _describe_target(target):
    if target is None:
        return ""
    low, high = target
    return f">= {low:g}x" if low is not None else f"<= {high:g}x"


def summarize(raw, settings):
    rows = []

    def values(results, key):
        return [result[key] if result else None for result in results]

    for consumers in (1, 2) if raw["throughput"] else ():
        theirs = values(raw["throughput"].get((consumers, CHANNELS_REDIS.label), []), "rate")
        for variant in (OURS_WORKER, OURS_RECEIVE, OURS_PREFETCH):
            ours = values(raw["throughput"].get((consumers, variant.label), []), "rate")
            rows.append(_row(f"throughput 1 -> {consumers} consumer{'s' * (consumers > 1)}, {variant.label}",
                             "msg/s (higher better)", ours, theirs, (5, None)))
    theirs = raw["latency"].get(CHANNELS_REDIS.label, [])
    for variant in (OURS_WORKER, OURS_RECEIVE) if raw["latency"] else ():
        ours = raw["latency"].get(variant.label, [])
        rows.append(_row(f"round trip p50, echo on {variant.label}", "ms (lower better)",
                         values(ours, "p50"), values(theirs, "p50")))
        rows.append(_row(f"round trip p99, echo on {variant.label}", "ms (lower better)",
                         values(ours, "p99"), values(theirs, "p99"), (None, 1)))
    bare = values(raw["sync_send"], "redis-py XADD")
    for call in ("Channel.send", "Group.send") if raw["sync_send"] else ():
        row = _row(f"sync {call} from plain code (baseline: one redis-py XADD)", "us (lower better)",
                   values(raw["sync_send"], call), bare, (None, 1.5))
        rows.append(row)
    for processes in settings.fanout_processes:
        for size in settings.fanout_sizes:
            ours = raw["fanout"].get((processes, size, "ours"))
            theirs = raw["fanout"].get((processes, size, "channels_redis"))
            if ours is None and theirs is None:
                continue
            target = (None, 0.1) if (processes, size) == (1, 1000) else None
            rows.append(_row(f"group_send to {size} member{'s' * (size > 1)} on {processes} process"
                             f"{'es' * (processes > 1)}", "ms (lower better)",
                             values(ours or [], "ms"), values(theirs or [], "ms"), target))
    return rows


def format_report(rows, settings, machine):
    headers = ["benchmark", "unit", "ours", "baseline", "ours/baseline", "target", "met"]
    table = _util.format_table(headers, [
        [row["benchmark"], row["unit"], _util.format_number(row["ours"], row["unit"]),
         _util.format_number(row["baseline"], row["unit"]), _util.format_ratio(row["ratio"]),
         row["target"], row["met"]]
        for row in rows
    ])
    return "\n".join([
        f"Channel layers: ours = channels1.layer.RedisChannelLayer (at-least-once), "
        f"baseline = channels_redis.core.RedisChannelLayer unless the row names another; "
        f"median of {settings.runs} run(s)",
        f"{settings.messages:,} messages per throughput run, {SEND_CONCURRENCY} sends in flight; "
        f"{settings.round_trips:,} round trips per latency run; "
        f"up to {settings.fanouts} group_sends per fan-out size",
        _util.describe_machine(machine),
        "",
        table,
    ])


def main(argv=None):
    return _util.main(argv, "layer", __doc__, "a small smoke run, well under a minute", Settings, run, summarize, format_report,
                      options=[("--messages", int, "messages per throughput run (default 10000)"),
                               ("--only", _part, f"run one part: {', '.join(PARTS)} (default all)")],
                      prefixes=PREFIXES.values())


if __name__ == "__main__":
    main()
