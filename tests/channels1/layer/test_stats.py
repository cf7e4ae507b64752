"""The layer's counts: process-specific channels counted by kind, latencies in
buckets, and counts that could not be stored kept for the next take."""

from channels1.layer._stats import Stats, channel_label


def test_process_specific_channels_are_counted_by_their_kind():
    assert channel_label("daphne.response.0a1b2c!d3e4") == "daphne.response!"
    assert channel_label("wait.0a1b2c?x1") == "wait?"
    assert channel_label("websocket.receive") == "websocket.receive"


def test_latency_goes_to_the_first_bucket_that_holds_it():
    stats = Stats()
    stats.observe_latency("websocket.receive", 0.03)
    stats.observe_latency("websocket.receive", 60)
    assert stats.take() == {
        "latency_bucket|websocket.receive|0.05": 1,
        "latency_bucket|websocket.receive|+Inf": 1,
        "latency_count|websocket.receive": 2,
        "latency_sum_us|websocket.receive": 60_030_000,
    }


def test_counts_given_back_go_out_with_the_next_take():
    stats = Stats()
    stats.count("sent", "chat")
    taken = stats.take()
    stats.count("sent", "chat", 2)
    stats.give_back(taken)
    assert stats.take() == {"sent|chat": 3}
    assert stats.take() == {}


def test_counting_each_of_many_channels_adds_them_by_kind():
    stats = Stats()
    stats.count("received", "daphne.response.0a1b2c!x")
    stats.count_each("received", ["daphne.response.0a1b2c!y", "daphne.response.9f8e7d!z", "chat"])
    assert stats.take() == {"received|daphne.response!": 3, "received|chat": 1}


def test_counting_a_group_of_one_process_counts_a_member_of_another_kind_by_its_own():
    stats = Stats()
    stats.count_each("received", ["worker.0a1b!x", "worker.0a1b!y", "daphne.response.0a1b!z", "worker.0a1b!w"])
    stats.count_each("received", ["chat.0a1b!x", "chat.0a1b!y", "chat"])
    stats.count_each("received", ["worker.0a1b!v"])
    stats.count_each("received", [])
    assert stats.take() == {"received|worker!": 4, "received|daphne.response!": 1, "received|chat!": 2,
                            "received|chat": 1}
