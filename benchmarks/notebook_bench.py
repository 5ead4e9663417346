"""The course's speed: every notebook executed against a running stack, timed.

Prints the seconds of each notebook, and its slowest cell, then the totals beside
the course's targets: the one-node notebooks of the first part (00-11) under 8
minutes, those of both parts under 13, no cell over 30 s (a cell that waits on a
timeout its text explains may exceed it; the table names it). Beside them, a
baseline measured in the same run: an empty notebook, i.e. what papermill and a
fresh kernel cost before any cell of ours runs. The executed copies go to a
temporary folder; the committed notebooks are not touched.

Usage: python benchmarks/notebook_bench.py [--only 06a 06b ...]
Needs the stack up (`airflow-lab up`; notebook 10 then starts its multi-node
stack beside it, or runs on yours if it is the celery profile).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from airflow_lab.settings import load_settings  # noqa: E402

#: the one-node notebooks of part 1 (00-11), and of both parts
TARGET_PART1_S = 8 * 60
TARGET_ALL_S = 13 * 60
TARGET_CELL_S = 30
PART1_LAST = "11"


def execute(path: Path, out_dir: Path, lab_home: str) -> tuple[float, float, int]:
    """Run one notebook; return its seconds, and the seconds and index of its slowest cell."""
    import papermill as pm

    t0 = time.monotonic()
    ran = pm.execute_notebook(
        str(path),
        str(out_dir / path.name),
        cwd=str(ROOT / "notebooks"),
        kernel_name="python3",
        progress_bar=False,
        parameters={"lab_home": lab_home},
    )
    seconds = time.monotonic() - t0
    cells = [
        (cell.get("metadata", {}).get("papermill", {}).get("duration") or 0.0, i)
        for i, cell in enumerate(ran["cells"])
    ]
    slowest, index = max(cells, default=(0.0, -1))
    return seconds, slowest, index


def profile(path: Path) -> str:
    """The stack a notebook is written for ("celery" ones start their own beside yours)."""
    nb = nbformat.read(path, as_version=4)
    return nb.metadata.get("airflow_lab", {}).get("profile", "core")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="notebook number prefixes, e.g. 06a 07")
    args = parser.parse_args(argv)
    settings = load_settings()
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]*.ipynb"))
    if args.only:
        notebooks = [p for p in notebooks if p.stem.split("_", 1)[0] in args.only]

    with tempfile.TemporaryDirectory(prefix="notebook-bench-") as tmp:
        out = Path(tmp)
        empty = out / "empty.ipynb"
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("lab_home = None")])
        nb.cells[0].metadata["tags"] = ["parameters"]
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "language": "python",
            "display_name": "Python 3",
        }
        nbformat.write(nb, empty)
        (out / "ran").mkdir()
        baseline = execute(empty, out / "ran", str(settings.home))[0]
        times, cells = {}, {}
        for path in notebooks:
            seconds, cell_s, cell_i = execute(path, out / "ran", str(settings.home))
            times[path.stem], cells[path.stem] = seconds, (cell_s, cell_i)
            flag = "  over 30 s" if cell_s > TARGET_CELL_S else ""
            print(
                f"  {path.stem:<40} {seconds:6.1f} s   slowest cell #{cell_i}: {cell_s:5.1f} s{flag}",
                flush=True,
            )

    one_node = {stem for stem in times if profile(ROOT / "notebooks" / f"{stem}.ipynb") == "core"}
    part1 = sum(t for stem, t in times.items() if stem in one_node and stem[:2] <= PART1_LAST)
    both = sum(t for stem, t in times.items() if stem in one_node)
    slowest_cell = max(cells, key=lambda stem: cells[stem][0])
    print()
    print(f"{'measure':<44}{'this run':>10}{'target':>10}")
    if not args.only:
        print(f"{'one-node notebooks, part 1 (00-11)':<44}{part1:>9.0f}s{TARGET_PART1_S:>9}s")
        print(f"{'one-node notebooks, both parts':<44}{both:>9.0f}s{TARGET_ALL_S:>9}s")
    label = f"slowest cell: {slowest_cell} #{cells[slowest_cell][1]}"
    print(f"{label:<44}{cells[slowest_cell][0]:>9.1f}s{TARGET_CELL_S:>9}s")
    print(f"{'baseline: an empty notebook':<44}{baseline:>9.1f}s")
    print(f"{'kernel overhead in the set':<44}{baseline * len(times):>9.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
