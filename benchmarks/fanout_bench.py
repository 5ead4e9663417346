"""Scale past one machine: a fan-out DAG of 50 mapped tasks of fixed work, on the
one-node stack (LocalExecutor), then on the celery profile with 1 and 2 workers, in
one run. Prints tasks per minute and where the time goes (queue wait vs running).

Usage: python benchmarks/fanout_bench.py [--tasks 50] [--work 0.5]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from airflow_lab import db, stack  # noqa: E402
from airflow_lab.api import AirflowApi  # noqa: E402
from airflow_lab.settings import load_settings  # noqa: E402
from airflow_lab.waiting import wait_until  # noqa: E402

FANOUT_DAG = """
import time
from airflow.sdk import DAG, task

with DAG("fanout_bench", schedule=None, tags=["bench"], max_active_tasks=64):
    @task
    def work(i: int, seconds: float) -> int:
        end = time.process_time() + seconds  # fixed CPU work, not a sleep
        while time.process_time() < end:
            pass
        return i

    work.partial(seconds={work}).expand(i=list(range({tasks})))
"""


def measure(profile: str, workers: int, tasks: int, work: float) -> dict:
    home = Path(tempfile.mkdtemp(prefix="airflow-lab-fanout-"))
    settings = load_settings(
        home=home,
        api_port=18480,
        postgres_port=15633,
        nft_api_port=18490,
        broker_port=16480,
        celery_workers=workers,
    )
    try:
        stack.up(settings, profile=profile)
        (settings.learner_dags / "fanout_bench.py").write_text(
            FANOUT_DAG.format(tasks=tasks, work=work)
        )
        api = AirflowApi(settings)
        if not wait_until(lambda: api.dag_exists("fanout_bench"), 180, 0.5):
            raise SystemExit("fanout_bench was not parsed")
        t0 = time.monotonic()
        run = api.run_dag("fanout_bench", None, timeout=1200)
        wall = time.monotonic() - t0
        if run["state"] != "success":
            raise SystemExit(f"fan-out run ended {run['state']}")
        ti = db.task_instances("fanout_bench", run["dag_run_id"], settings)
        wait = (ti["start_date"] - ti["queued_dttm"]).dt.total_seconds()
        busy = (ti["end_date"] - ti["start_date"]).dt.total_seconds()
        return {
            "wall": wall,
            "per_min": tasks / wall * 60,
            "wait": wait.median(),
            "busy": busy.median(),
            "hosts": ti["hostname"].nunique(),
        }
    finally:
        stack.down(settings)
        shutil.rmtree(home, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=50)
    parser.add_argument("--work", type=float, default=0.5, help="CPU seconds per task")
    args = parser.parse_args()
    rows = {
        "one node (LocalExecutor, parallelism 4)": measure("core", 0, args.tasks, args.work),
        "celery, 1 worker (concurrency 2)": measure("celery", 1, args.tasks, args.work),
        "celery, 2 workers (concurrency 2 each)": measure("celery", 2, args.tasks, args.work),
    }
    print(f"\n{args.tasks} mapped tasks of {args.work} CPU-s each\n")
    print(f"{'':42} {'wall':>8} {'tasks/min':>10} {'queued→start':>13} {'running':>9} {'hosts':>6}")
    for name, r in rows.items():
        print(
            f"{name:42} {r['wall']:>6.1f} s {r['per_min']:>10.0f} {r['wait']:>11.2f} s "
            f"{r['busy']:>7.2f} s {r['hosts']:>6}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
