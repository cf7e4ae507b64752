"""Stopping a child process: SIGTERM first, SIGKILL after the timeout."""

import signal
import subprocess
import sys

from channels1._processes import terminate


def start(setup="pass", then="import time; time.sleep(60)"):
    """A Python child that runs ``setup``, says it is ready, then runs ``then``."""
    code = f"{setup}\nprint('ready', flush=True)\n{then}"
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "ready\n"
    return process


def test_a_process_that_obeys_sigterm_ends_with_it():
    process = start()
    terminate(process, timeout=30)
    assert process.returncode == -signal.SIGTERM


def test_a_process_that_ignores_sigterm_is_killed_after_the_timeout():
    process = start(setup="import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN)")
    terminate(process, timeout=0.5)
    assert process.returncode == -signal.SIGKILL


def test_an_ended_process_is_just_reaped():
    process = start(then="")
    process.wait()
    terminate(process, timeout=1)
    assert process.returncode == 0
