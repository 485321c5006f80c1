"""Assemble bench/RESULTS.md from the per-area result files in bench/results/.

Each benchmark script writes its own section (`python bench/<area>.py --out ...`); this
joins them in pipeline order so one file holds every recorded figure.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ("forecast", "erlang", "schedule", "schedule_people", "simulate", "export", "kpi",
         "adherence", "sites")


def main() -> None:
    parts = [
        "# Benchmark results\n\n"
        "Every figure below was measured by the script named in its section, on the machine "
        "and date it states (2 cores, 23 GiB, shared: wall times are noisy; ratios are "
        "measured in one process where given). Re-run a section with its command, then "
        "`python bench/make_results.py` to rebuild this file.\n"
    ]
    for name in ORDER:
        path = HERE / "results" / f"{name}.md"
        if path.exists():
            text = path.read_text(encoding="utf-8").strip()
            # Each section's own title becomes a second-level heading here.
            lines = text.splitlines()
            if lines and lines[0].startswith("# "):
                lines[0] = "#" + lines[0]
            body = "\n".join(
                "#" + line if line.startswith("## ") and index else line
                for index, line in enumerate(lines)
            )
            parts.append(body + "\n")
    (HERE / "RESULTS.md").write_text("\n".join(parts), encoding="utf-8")


if __name__ == "__main__":
    main()
