"""``manage.py tailf_stop <id>``: end a file's tail job through RQ's stop command (or
cancel it while queued); its viewers are told and dropped."""

from django.core.management.base import BaseCommand, CommandError

from workers import log_files, log_tail_viewers


class Command(BaseCommand):
    help = "Stop the live log tail job of a file (by id) and drop its viewers."

    def add_arguments(self, parser):
        parser.add_argument("file_id", help="the file's id in the TAILF setting")

    def handle(self, *args, file_id, **options):
        found = log_files.file_id_of(file_id)
        if found is None:
            raise CommandError(f"no log file {file_id!r}; see manage.py tailf_list")
        job = log_tail_viewers.current_job_id(found) or f"log file {found}"
        done = log_tail_viewers.stop(found)
        self.stdout.write(f"{job}: {done}")
