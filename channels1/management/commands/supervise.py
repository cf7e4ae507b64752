"""`manage.py supervise`: runs every process of the Procfile under supervisord, which
restarts one that exits or crashes (with a growing pause when it keeps failing at
start) and logs why; SIGINT or SIGTERM stops them all, Redis last."""

import os
import shlex
import shutil
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import BaseCommand, CommandError

# Seconds a process must run to count as started; one that exits sooner is tried
# again after 1, 2, 3… s, this many times, before supervisord gives up on it.
START_SECONDS = 1
START_RETRIES = 60
# Seconds a process has to stop after SIGTERM before it is killed.
STOP_SECONDS = 20


class Command(BaseCommand):
    help = "Runs the Procfile's processes under supervisord, restarting any that exits."

    def add_arguments(self, parser):
        parser.add_argument("--procfile", default=None, help="Procfile to run (default: the project's)")
        parser.add_argument(
            "-c", "--concurrency", action="append", default=[], metavar="NAME=N",
            help="Processes of one kind to run, as honcho's -c (repeatable), e.g. worker=4",
        )

    def handle(self, *args, procfile=None, concurrency=(), **options):
        base_dir = Path(settings.BASE_DIR)
        procfile = Path(procfile or base_dir / "Procfile")
        try:
            processes = _parse_procfile(procfile.read_text()).processes
        except OSError as error:
            raise CommandError(f"Cannot read the Procfile: {error}") from error
        counts = parse_concurrency(concurrency, processes)
        directory = base_dir / "var" / "supervisor"
        directory.mkdir(parents=True, exist_ok=True)
        config = directory / "supervisord.conf"
        config.write_text(supervisord_config(processes, counts, procfile.parent.resolve(), directory))
        executable = shutil.which("supervisord", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
        if executable is None:
            raise CommandError("supervisord is not installed: pip install supervisor")
        sys.stdout.flush()
        os.execv(executable, [executable, "--nodaemon", "--configuration", str(config)])


def parse_concurrency(values, processes):
    counts = {}
    for value in values:
        name, _, count = value.partition("=")
        if name not in processes or not count.isdigit():
            raise CommandError(f"--concurrency takes NAME=N with a Procfile name ({', '.join(processes)}), "
                               f"not {value!r}")
        counts[name] = int(count)
    return counts


def supervisord_config(processes, counts, directory, state_directory):
    """supervisord's configuration: one program per Procfile line, started in the
    Procfile's order and stopped in the reverse one, output on supervisord's own."""
    lines = [
        "[supervisord]",
        f"pidfile={state_directory / 'supervisord.pid'}",
        "logfile=/dev/null",
        "logfile_maxbytes=0",
        "loglevel=info",
    ]
    if os.geteuid() == 0:
        lines.append("user=root")  # said outright, so supervisord does not warn about it
    for order, (name, command) in enumerate(processes.items(), start=1):
        count = counts.get(name, 1)
        lines += [
            "",
            f"[program:{name}]",
            f"command=/bin/sh -c {_escape(shlex.quote(command))}",
            f"directory={_escape(str(directory))}",
            f"numprocs={count}",
            "process_name=%(program_name)s" + ("_%(process_num)d" if count > 1 else ""),
            f"priority={order * 10}",
            "autorestart=true",
            f"startsecs={START_SECONDS}",
            f"startretries={START_RETRIES}",
            f"stopwaitsecs={STOP_SECONDS}",
            "stopasgroup=true",
            "killasgroup=true",
            "redirect_stderr=true",
            "stdout_logfile=/dev/stdout",
            "stdout_logfile_maxbytes=0",
        ]
    return "\n".join(lines) + "\n"


def _escape(value):
    # supervisord expands %(name)s in its values.
    return value.replace("%", "%%")


def _parse_procfile(text):
    try:
        from honcho.environ import parse_procfile
    except ImportError:
        raise CommandError("manage.py supervise reads the Procfile with honcho: pip install honcho supervisor")
    return parse_procfile(text)
