"""The worker's signals: database connections checked around consumers, except
where a test keeps them, and the query log emptied before each consumer."""

from unittest import mock

from channels1.signals import consumer_finished, consumer_started, database_connections_kept


def test_consumers_check_database_connections_like_requests():
    with mock.patch("channels1.signals.close_old_connections") as close_old_connections:
        consumer_started.send(sender=None, environ={})
        consumer_finished.send(sender=None)
    assert close_old_connections.call_count == 2


def test_database_connections_kept_leaves_them_alone_until_it_ends():
    with mock.patch("channels1.signals.close_old_connections") as close_old_connections:
        with database_connections_kept():
            consumer_started.send(sender=None, environ={})
            consumer_finished.send(sender=None)
        assert close_old_connections.call_count == 0
        consumer_finished.send(sender=None)
    assert close_old_connections.call_count == 1


def test_each_consumer_starts_with_an_empty_query_log_with_debug_on(db, settings):
    from django.contrib.auth.models import User
    from django.db import connection

    settings.DEBUG = True
    with database_connections_kept():  # the test's transaction stays
        User.objects.count()
        assert len(connection.queries) >= 1
        consumer_started.send(sender=None, environ={})
    assert connection.queries == []
