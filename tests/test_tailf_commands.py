"""`manage.py tailf_list` and `tailf_stop`, and the job bookkeeping they show, on the
test Redis (jobs are enqueued but no RQ worker runs them here)."""

import io
import itertools
import threading

import django_rq
import pytest
from django.core.management import CommandError, call_command
from rq.job import JobStatus

from tracker import jobs

_ids = itertools.count(7001)


@pytest.fixture
def tailf(settings, redis_url, channel_layer_settings, tmp_path):
    """A configured file of this test's own, on the test Redis; its job and keys go
    again afterwards so no later RQ worker picks the job up."""
    file_id = next(_ids)
    path = tmp_path / "app.log"
    path.write_text("one\ntwo\n")
    settings.RQ_QUEUES = {"tailf": {"URL": redis_url}}
    settings.TAILF = {file_id: str(path)}
    settings.TAILF_IDLE_SECONDS = 0.2
    yield file_id
    job = jobs.fetch_job(file_id)
    if job is not None:
        job.delete()
    keys = jobs.Keys(file_id)
    jobs.connection().delete(keys.viewers, keys.joining, keys.running, keys.starting)


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def row(output, file_id):
    return next(line.split() for line in output.splitlines() if line.startswith(f"{file_id} "))


def test_list_shows_a_file_without_a_job(tailf):
    output = run("tailf_list")
    assert output.splitlines()[0].split() == ["ID", "FILE", "JOB", "STATUS", "RUNNING", "VIEWERS"]
    assert row(output, tailf)[2:] == [f"tailf-{tailf}", "-", "no", "0"]


def test_viewers_share_one_enqueued_job(tailf):
    assert jobs.watch(tailf, "tailf.test.viewer1") is not None
    assert jobs.watch(tailf, "tailf.test.viewer2") is None
    queue = django_rq.get_queue("tailf")
    assert queue.job_ids.count(f"tailf-{tailf}") == 1
    assert row(run("tailf_list"), tailf)[2:] == [f"tailf-{tailf}", "queued", "no", "2"]
    jobs.unwatch(tailf, "tailf.test.viewer1")
    assert row(run("tailf_list"), tailf)[-1] == "1"


def test_stop_cancels_a_queued_job_and_drops_its_viewers(tailf):
    jobs.watch(tailf, "tailf.test.viewer")
    assert run("tailf_stop", str(tailf)).strip() == f"tailf-{tailf}: cancelled the queued job"
    assert f"tailf-{tailf}" not in django_rq.get_queue("tailf").job_ids
    assert row(run("tailf_list"), tailf)[3:] == ["canceled", "no", "0"]


def test_stop_sends_rqs_stop_command_to_a_started_job(tailf, monkeypatch):
    sent = []
    monkeypatch.setattr("rq.command.send_stop_job_command", lambda connection, job_id: sent.append(job_id))
    jobs.watch(tailf, "tailf.test.viewer")
    jobs.fetch_job(tailf).set_status(JobStatus.STARTED)
    jobs.connection().set(jobs.Keys(tailf).running, "token")
    assert run("tailf_stop", str(tailf)).strip() == f"tailf-{tailf}: sent the stop command"
    assert sent == [f"tailf-{tailf}"]
    assert not jobs.is_running(tailf) and jobs.viewers(tailf) == 0


def test_stop_without_a_job_and_with_an_unknown_id(tailf):
    assert run("tailf_stop", str(tailf)).strip() == f"tailf-{tailf}: no job was running"
    with pytest.raises(CommandError, match="no log file"):
        run("tailf_stop", "999999")
    with pytest.raises(CommandError, match="no log file"):
        run("tailf_stop", "../etc/passwd")


def test_a_dead_job_is_enqueued_again_but_a_live_one_is_not(tailf):
    keys = jobs.Keys(tailf)
    assert jobs.ensure_job(tailf) is not None
    jobs.fetch_job(tailf).set_status(JobStatus.STARTED)
    assert jobs.ensure_job(tailf) is None  # started, about to take its lock
    jobs.connection().delete(keys.starting)
    jobs.connection().set(keys.running, "token", px=5000)
    assert jobs.ensure_job(tailf) is None  # its lock is alive
    jobs.connection().delete(keys.running)  # the lock expired: the job died
    assert jobs.ensure_job(tailf) is not None


def test_the_job_refuses_a_second_run_and_ends_without_viewers(tailf):
    jobs.connection().set(jobs.Keys(tailf).running, "other", px=5000)
    assert jobs.tail(tailf) == "another job already follows this file"
    jobs.connection().delete(jobs.Keys(tailf).running)
    result = []
    thread = threading.Thread(target=lambda: result.append(jobs.tail(tailf)), daemon=True)
    thread.start()
    thread.join(10)
    assert result == ["no viewers left"]
    assert not jobs.is_running(tailf)


@pytest.mark.django_db
def test_the_rq_dashboard_is_for_staff_only(tailf, cache_settings, client, django_user_model):
    user = django_user_model.objects.create_user("dave", password="dave-secret-1")
    client.force_login(user)
    page = client.get("/tailf/")
    assert page.status_code == 200 and "/django-rq/" not in page.content.decode()
    assert client.get("/django-rq/").status_code == 302
    user.is_staff = True
    user.save()
    client.force_login(user)
    assert "/django-rq/" in client.get("/tailf/").content.decode()
    dashboard = client.get("/django-rq/")
    assert dashboard.status_code == 200 and "tailf" in dashboard.content.decode()


def test_the_job_drops_viewers_that_stopped_pinging(tailf, settings):
    settings.TAILF_VIEWER_TIMEOUT = 60
    keys = jobs.Keys(tailf)
    jobs.connection().zadd(keys.viewers, {"tailf.test.silent": 1.0})
    result = []
    thread = threading.Thread(target=lambda: result.append(jobs.tail(tailf)), daemon=True)
    thread.start()
    thread.join(10)
    assert result == ["no viewers left"] and jobs.viewers(tailf) == 0
