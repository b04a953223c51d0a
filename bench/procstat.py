"""CPU seconds and memory of a child process from /proc (Linux; the benchmark machines are Linux)."""

import os
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Usage:
    cpu_seconds: float
    rss_mb: float
    peak_rss_mb: float


def usage(pid: int) -> Usage:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime (fields 14 and 15 of proc(5))
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)

    def megabytes(name: str) -> float:
        return int(status.get(name, "0 kB").split()[0]) / 1024

    return Usage(cpu_seconds=cpu, rss_mb=megabytes("VmRSS"), peak_rss_mb=megabytes("VmHWM"))
