"""Stopping a child process: SIGTERM, a bounded wait, then SIGKILL."""

import signal
import subprocess


def terminate(process, timeout):
    """Ask ``process`` (a Popen) to stop with SIGTERM, kill it if it is still running
    after ``timeout`` seconds, and reap it."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
