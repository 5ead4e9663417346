"""The course's speed: every notebook executed against a running stack, timed.

Prints the seconds of each notebook and of the whole set beside the targets (the
whole set under 5 minutes, the slowest notebook under 60 s) and beside a baseline
measured in the same run: an empty notebook, i.e. what papermill and a fresh
kernel cost before any cell of ours runs. The executed copies go to a temporary
folder; the committed notebooks are not touched.

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

TARGET_TOTAL_S = 300
TARGET_SLOWEST_S = 60


def execute(path: Path, out_dir: Path, lab_home: str) -> float:
    import papermill as pm

    t0 = time.monotonic()
    pm.execute_notebook(
        str(path),
        str(out_dir / path.name),
        cwd=str(ROOT / "notebooks"),
        kernel_name="python3",
        progress_bar=False,
        parameters={"lab_home": lab_home},
    )
    return time.monotonic() - t0


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
        nbformat.write(nb, empty)
        (out / "ran").mkdir()
        baseline = execute(empty, out / "ran", str(settings.home))
        times = {}
        for path in notebooks:
            times[path.stem] = execute(path, out / "ran", str(settings.home))
            print(f"  {path.stem:<40} {times[path.stem]:6.1f} s", flush=True)

    total = sum(times.values())
    slowest = max(times, key=times.get)
    print()
    print(f"{'measure':<34}{'this run':>10}{'target':>10}")
    print(f"{'whole set':<34}{total:>9.0f}s{TARGET_TOTAL_S:>9}s")
    print(f"{'slowest: ' + slowest:<34}{times[slowest]:>9.0f}s{TARGET_SLOWEST_S:>9}s")
    print(f"{'baseline: an empty notebook':<34}{baseline:>9.1f}s")
    print(f"{'kernel overhead in the set':<34}{baseline * len(times):>9.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
