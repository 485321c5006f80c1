"""What the benchmark scripts share: the machine's description, timing a command under
``/usr/bin/time -v`` (wall seconds and peak memory) and appending a result section."""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path


def machine() -> str:
    """Cores, load average, Python and platform, and ``free -g``, as Markdown."""
    def run(command: list[str]) -> str:
        try:
            return subprocess.run(command, capture_output=True, text=True, check=False).stdout
        except OSError:
            return "(unavailable)\n"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"- nproc: {run(['nproc']).strip()}; load average at the end (1, 5, 15 min): "
            f"{load}\n"
            f"- python {platform.python_version()}, {platform.platform()}\n"
            f"- free -g:\n\n```\n{run(['free', '-g']).rstrip()}\n```\n")


def timed(command: list[str]) -> tuple[float, float, float]:
    """Run ``command`` under ``/usr/bin/time -v``; returns (wall seconds, peak RSS MiB, CPU
    seconds: user + system, what an idle machine's wall time would be for a one-thread
    command). Raises RuntimeError with the command's stderr when it fails.
    """
    result = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True,
                            check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr[-2000:]}")
    clock = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)",
                      result.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    cpu = [float(x) for x in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)",
                                        result.stderr)]
    assert clock and rss and len(cpu) == 2, result.stderr
    seconds = 0.0
    for part in clock.group(1).split(":"):
        seconds = seconds * 60 + float(part)
    return seconds, int(rss.group(1)) / 1024, sum(cpu)


def record(path: Path, title: str, intro: str, command: str, lines: list[str]) -> None:
    """Append a section for ``command`` with ``lines`` to the result file ``path``."""
    section = (f"## `{command}`\n\n"
               f"Date: {time.strftime('%Y-%m-%d %H:%M %Z')}\n\n"
               f"Machine (shared with other jobs, so wall times are noisy):\n\n{machine()}\n"
               "Result:\n\n```\n" + "\n".join(lines) + "\n```\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        text = path.read_text(encoding="utf-8").rstrip("\n") + "\n\n" + section
    else:
        text = f"# {title}\n\n{intro}\n\n{section}"
    path.write_text(text, encoding="utf-8")


def summary(name: str, runs: list[tuple[float, float, float]]) -> str:
    """``name: wall 1.23, 1.19 s (best 1.19, median 1.21); CPU 1.10, 1.08 s; peak 456 MiB``."""
    walls = [wall for wall, _, _ in runs]
    return (f"{name}: wall " + ", ".join(f"{w:.2f}" for w in walls) + f" s (best "
            f"{min(walls):.2f}, median {sorted(walls)[len(walls) // 2]:.2f}); CPU "
            + ", ".join(f"{c:.2f}" for _, _, c in runs) + " s; peak memory "
            f"{max(rss for _, rss, _ in runs):.0f} MiB")


def report(lines: list[str], path: Path | None, title: str, intro: str) -> None:
    """Print the result lines and, with ``path``, record them under this script's command."""
    print("\n".join(lines))
    if path is not None:
        command = f"python bench/{Path(sys.argv[0]).name} " + " ".join(sys.argv[1:])
        record(path, title, intro, command.rstrip(), lines)


def data_rows(path: Path) -> int:
    """Rows of a CSV file below its header."""
    with open(path, encoding="utf-8") as stream:
        return sum(1 for _ in stream) - 1
