"""CPU time of the processes a benchmark runs, Redis's and the whole machine's, taken
before and after a measured stretch, so that each process's share can be reported per
message."""

import os

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid):
    """utime + stime of a process, from /proc/<pid>/stat; None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def redis_cpu_seconds(client):
    info = client.info("cpu")
    return info["used_cpu_user"] + info["used_cpu_sys"]


def machine_busy_seconds():
    """CPU time spent by every process on the machine (all cores), from /proc/stat."""
    with open("/proc/stat") as stat:
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, stat.readline().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def snapshot(pids, redis_client):
    """CPU seconds so far of each named group of pids (None if one is gone), Redis's
    and the machine's."""
    taken = {}
    for name, group in pids.items():
        seconds = [process_cpu_seconds(pid) for pid in group]
        taken[name] = None if not group or None in seconds else sum(seconds)
    taken["redis"] = redis_cpu_seconds(redis_client)
    taken["machine"] = machine_busy_seconds()
    return taken


def spent(before, after):
    """CPU seconds each group spent between two snapshots, and "other": the machine's
    time that none of them spent."""
    machine = after["machine"] - before["machine"]
    result = {}
    for name in before:
        if name == "machine":
            continue
        result[name] = None if before[name] is None or after[name] is None else after[name] - before[name]
        machine -= result[name] or 0.0
    result["other"] = max(0.0, machine)
    return result
