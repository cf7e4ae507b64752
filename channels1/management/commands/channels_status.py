"""`manage.py channels_status`: the state of the system from the channel layer's
Redis: channels, process lists, groups, live workers and Daphnes, set-aside entries,
RQ queues and message totals; ``--json`` for tools, ``--watch`` to follow it."""

import json
import time

from django.core.management import BaseCommand, CommandError

from channels1.status import system_status


class Command(BaseCommand):
    help = "Shows channel depths, pending messages, groups, live workers and Daphnes, and RQ queues."

    def add_arguments(self, parser):
        parser.add_argument("--layer", default="default", help="Channel layer alias (default: default)")
        parser.add_argument("--json", action="store_true", help="Print the status as one JSON object")
        parser.add_argument("--watch", type=float, nargs="?", const=2.0, metavar="SECONDS",
                            help="Print it again every SECONDS (default 2) until interrupted")

    def handle(self, *args, **options):
        if options["watch"] is not None and options["watch"] <= 0:
            raise CommandError("--watch needs a positive number of seconds")
        try:
            while True:
                try:
                    status = system_status(options["layer"])
                except ValueError as error:
                    raise CommandError(str(error))
                self.stdout.write(json.dumps(status) if options["json"] else render(status))
                self.stdout.flush()
                if options["watch"] is None:
                    return
                time.sleep(options["watch"])
        except KeyboardInterrupt:
            pass


def render(status):
    """The status as tables for people."""
    lines = [f"Redis {status['redis']['url']}: {status['redis']['keys']} keys, "
             f"{status['redis']['used_memory']} bytes; layer prefix {status['prefix']!r}", ""]
    lines += _table("Channels", ["channel", "depth", "pending", "oldest (s)", "redelivered"],
                    [[c["name"], c["depth"], c["pending"], c["oldest_age"], c["redeliveries"]]
                     for c in status["channels"]])
    lines += _table("Process lists", ["process", "depth"], [[p["name"], p["depth"]] for p in status["process_lists"]])
    lines += _table("Groups", ["group", "members"], [[g["name"], g["members"]] for g in status["groups"]])
    lines += _table("Workers", ["host", "pid", "threads", "busy", "channels"],
                    [[w["host"], w["pid"], w["threads"], w["busy"], ", ".join(w["channels"])]
                     for w in status["workers"]])
    lines += _table("Daphnes", ["host", "pid", "sockets open"],
                    [[d["host"], d["pid"], d["sockets"]] for d in status["daphnes"]])
    dead = status["dead_letters"]
    lines += _table(f"Set-aside entries ({dead['count']})", ["key", "id", "reason"],
                    [[d["key"], d.get("id"), d["reason"]] for d in dead["latest"]])
    lines += _table("RQ queues", ["queue", "queued", "started", "failed"],
                    [[q["name"], q["queued"], q["started"], q["failed"]] for q in status["rq_queues"]])
    return "\n".join(lines)


def _table(title, headers, rows):
    if not rows:
        return [f"{title}: none", ""]
    cells = [headers, *[["-" if value is None else str(value) for value in row] for row in rows]]
    widths = [max(len(row[column]) for row in cells) for column in range(len(headers))]
    return [title + ":", *("  " + "  ".join(value.ljust(width) for value, width in zip(row, widths)).rstrip()
                           for row in cells), ""]
