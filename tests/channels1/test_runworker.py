"""runworker: its options shape the worker it runs; options that leave nothing to do
are refused clearly."""

import pytest
from django.core.management import CommandError, call_command

from channels1 import route
from channels1.management.commands import runworker


def ignore(message):
    pass


@pytest.fixture
def served(settings, channel_layer_settings, monkeypatch):
    """The workers runworker would serve, kept instead of run."""
    settings.CHANNEL_ROUTING = [route("tasks.thumbnail", ignore), route("tasks.email", ignore)]
    workers = []

    async def keep(worker):
        workers.append(worker)

    monkeypatch.setattr(runworker, "_serve", keep)
    return workers


def test_only_and_exclude_channels_narrow_what_the_worker_listens_on(served):
    call_command("runworker", "--only-channels", "tasks.*", "--only-channels", "websocket.connect",
                 "--exclude-channels", "tasks.email", "--threads", "4")
    [worker] = served
    assert worker.channels == ["tasks.thumbnail", "websocket.connect"]
    assert worker.threads == 4


def test_without_options_the_worker_listens_on_every_routed_channel(served):
    call_command("runworker")
    [worker] = served
    assert worker.channels == [
        "tasks.email", "tasks.thumbnail", "websocket.connect", "websocket.disconnect", "websocket.receive",
    ]


def test_filters_that_leave_no_channel_are_refused(served):
    with pytest.raises(CommandError, match="No channels left"):
        call_command("runworker", "--exclude-channels", "*")
    assert served == []
