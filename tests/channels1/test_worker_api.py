"""The 1.x ``channels.worker`` API on a real Redis: ``Worker(channel_layer, ...)``
with a blocking ``run()`` stopped by ``termed`` or SIGTERM, ``WorkerGroup``, and the
other call forms the name ``channels.worker.Worker`` keeps."""

import os
import signal

from channels.worker import Worker, WorkerGroup

from channels1 import route
from channels1.layer import RedisChannelLayer
from channels1.routing import Router
from channels1.sync_layer import ChannelLayer
from channels1.worker import AsyncWorker

consumed = []


def record(message):
    consumed.append(message["n"])


def terminate_own_process(message):
    consumed.append("terminating")
    os.kill(os.getpid(), signal.SIGTERM)


ROUTES = [route("work.record", record), route("work.terminate", terminate_own_process)]


def make_layer(config):
    return ChannelLayer(RedisChannelLayer(**config), "default", routing=ROUTES)


class CountedWorker(Worker):
    """Stops after a number of loops, as 1.x's own tests bounded their workers."""

    def get_termed(self):
        if not self.loops_left:
            return True
        self.loops_left -= 1
        return False

    def set_termed(self, value):
        self.loops_left = 0 if value is True else value

    termed = property(get_termed, set_termed)


def test_run_blocks_until_termed_and_consumes_on_the_routing_of_the_layer(channel_layer_settings):
    consumed.clear()
    layer = make_layer(channel_layer_settings)
    for n in range(3):
        layer.send("work.record", {"n": n})
    worker = CountedWorker(layer)
    worker.termed = 10
    worker.run()
    assert consumed == [0, 1, 2]
    assert worker.channels == ["work.record", "work.terminate"]


def test_sigterm_stops_run_once_the_running_consumer_finished(channel_layer_settings):
    consumed.clear()
    layer = make_layer(channel_layer_settings)
    layer.send("work.record", {"n": 1})
    layer.send("work.terminate", {})
    worker = Worker(layer, only_channels=["work.*"])
    worker.run()  # returns: the consumer's SIGTERM set termed
    assert worker.termed and "terminating" in consumed


def test_channel_filters_apply_only_then_exclude(channel_layer_settings):
    worker = Worker(make_layer(channel_layer_settings), signal_handlers=False,
                    only_channels=["work.*", "other"], exclude_channels=["*.terminate"])
    assert worker.channels == ["work.record"]
    assert worker.apply_channel_filters(["work.x", "other", "elsewhere", "a.terminate"]) == ["other", "work.x"]


def test_a_worker_group_runs_n_threads_of_consumers(channel_layer_settings):
    group = WorkerGroup(make_layer(channel_layer_settings), n_threads=3)
    assert isinstance(group, Worker) and group.threads == 3 and group.n_threads == 3


def test_the_name_keeps_the_engines_and_channels_4s_call_forms(channel_layer_settings):
    from _channels1_imports import original

    layer = RedisChannelLayer(**channel_layer_settings)
    assert type(Worker(Router(ROUTES), layer)) is AsyncWorker
    channels4 = Worker(application=object(), channels=["work.record"], channel_layer=layer)
    assert type(channels4) is original("channels.worker", "Worker")
    assert channels4.channels == ["work.record"]
