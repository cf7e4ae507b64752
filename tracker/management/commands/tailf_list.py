"""``manage.py tailf_list``: the files of the live log tail, with each file's RQ job
id and status, whether a job holds the file now, and how many viewers it has."""

from django.core.management.base import BaseCommand

from tracker import jobs


class Command(BaseCommand):
    help = "List the live log tail's files, their RQ jobs (id, status) and viewers."

    def handle(self, *args, **options):
        rows = [("ID", "FILE", "JOB", "STATUS", "RUNNING", "VIEWERS")]
        for file_id, path in sorted(jobs.files().items()):
            rows.append((
                str(file_id), path, jobs.job_id(file_id), jobs.job_status(file_id) or "-",
                "yes" if jobs.is_running(file_id) else "no", str(jobs.viewers(file_id)),
            ))
        widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
        for row in rows:
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
