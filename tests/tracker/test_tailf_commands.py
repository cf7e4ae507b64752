"""`manage.py tailf_list` and `tailf_stop` on the test Redis (jobs are enqueued but no
RQ worker runs them here)."""

import io

import django_rq
import pytest
from django.core.management import CommandError, call_command
from rq.job import JobStatus

from workers import log_files, log_tail_viewers


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def row(output, file_id):
    return next(line.split() for line in output.splitlines() if line.startswith(f"{file_id} "))


def test_list_shows_a_file_without_a_job(tailf):
    output = run("tailf_list")
    assert output.splitlines()[0].split() == ["ID", "FILE", "JOB", "STATUS", "RUNNING", "VIEWERS"]
    assert row(output, tailf)[2:] == ["-", "-", "no", "0"]


def test_list_shows_a_queued_job_and_its_viewers(tailf):
    log_tail_viewers.watch(tailf, "tailf.test.viewer1")
    log_tail_viewers.watch(tailf, "tailf.test.viewer2")
    job_id = log_tail_viewers.current_job_id(tailf)
    assert job_id.startswith(f"tailf-{tailf}-")
    assert row(run("tailf_list"), tailf)[2:] == [job_id, "queued", "no", "2"]


def test_stop_cancels_a_queued_job_and_drops_its_viewers(tailf):
    log_tail_viewers.watch(tailf, "tailf.test.viewer")
    job_id = log_tail_viewers.current_job_id(tailf)
    assert run("tailf_stop", str(tailf)).strip() == f"{job_id}: cancelled the queued job"
    assert job_id not in django_rq.get_queue("tailf").job_ids
    assert row(run("tailf_list"), tailf)[3:] == ["canceled", "no", "0"]


def test_stop_sends_rqs_stop_command_to_a_started_job(tailf, monkeypatch):
    sent = []
    monkeypatch.setattr("rq.command.send_stop_job_command", lambda connection, job_id: sent.append(job_id))
    log_tail_viewers.watch(tailf, "tailf.test.viewer")
    log_tail_viewers.fetch_job(tailf).set_status(JobStatus.STARTED)
    log_files.connection().set(log_files.Keys(tailf).running, "token")
    job_id = log_tail_viewers.current_job_id(tailf)
    assert run("tailf_stop", str(tailf)).strip() == f"{job_id}: sent the stop command"
    assert sent == [job_id]
    assert not log_tail_viewers.is_running(tailf) and log_tail_viewers.viewers(tailf) == 0


def test_stop_without_a_job_and_with_an_unknown_id(tailf):
    assert run("tailf_stop", str(tailf)).strip() == f"log file {tailf}: no job was running"
    with pytest.raises(CommandError, match="no log file"):
        run("tailf_stop", "999999")
    with pytest.raises(CommandError, match="no log file"):
        run("tailf_stop", "../etc/passwd")
