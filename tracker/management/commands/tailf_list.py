"""``manage.py tailf_list``: the files of the live log tail, with the RQ job id and
status of each file's latest run, whether a job holds the file now, and how many viewers it has."""

from django.core.management.base import BaseCommand

from workers import log_files, log_tail_viewers


class Command(BaseCommand):
    help = "List the live log tail's files, their RQ jobs (id, status) and viewers."

    def handle(self, *args, **options):
        rows = [("ID", "FILE", "JOB", "STATUS", "RUNNING", "VIEWERS")]
        for file_id, path in sorted(log_files.files().items()):
            rows.append((
                str(file_id), path, log_tail_viewers.current_job_id(file_id) or "-", log_tail_viewers.job_status(file_id) or "-",
                "yes" if log_tail_viewers.is_running(file_id) else "no", str(log_tail_viewers.viewers(file_id)),
            ))
        widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
        for row in rows:
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
