"""The lab stack beside `airflow standalone` with its defaults, measured in one run.

Prints cold start (fresh home) and warm start to healthy, idle memory of the whole
process tree (PSS, the fair share of shared pages), and nft-pipeline
trigger-to-success: the first run after the start apart from the median of the
runs after it (the first one is the one a learner sees). Each stack is started cold,
the DAG unpaused and the scheduled run that unpausing starts let end, then the stack
is stopped and started warm, and the timed runs are triggered 10 s after; one run at
a time, nothing else running. Both stacks run the same DAG
against the same kind of local NFT API and PostgreSQL, on ports of their own, so the
comparison is like for like: standalone borrows them from a helper lab whose Airflow
is stopped while standalone is measured, and its memory counts them, as the lab's
counts its own.

Usage: python benchmarks/stack_bench.py [--runs 5] [--skip-standalone] [--port-offset N]

Its stacks listen on 18080... plus ``--port-offset`` (default: $AIRFLOW_LAB_PORT_OFFSET),
so that it can run beside other stacks on one machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from airflow_lab import stack  # noqa: E402
from airflow_lab.api import AirflowApi  # noqa: E402
from airflow_lab.settings import DAG_ID, load_settings  # noqa: E402
from airflow_lab.stack import airflow_env, venv_bin  # noqa: E402
from airflow_lab.stack.supervisor import client  # noqa: E402
from airflow_lab.waiting import wait_until  # noqa: E402


def pss_mb(procs: list[psutil.Process]) -> float:
    total = 0
    for proc in procs:
        try:
            total += proc.memory_full_info().pss
        except (psutil.Error, AttributeError):
            continue
    return total / 2**20


def tree(root: psutil.Process) -> list[psutil.Process]:
    try:
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


#: The helper lab's Airflow components, stopped while standalone is measured.
HELPER_AIRFLOW = ("api-server", "scheduler", "dag-processor", "triggerer")


def borrowed_now(procs: list[psutil.Process]) -> list[psutil.Process]:
    """The borrowed services' processes, with the children they have now (PostgreSQL
    starts one per connection)."""
    seen = {}
    for p in procs:
        for q in tree(p):
            seen[q.pid] = q
    return list(seen.values())


#: Added to every port the benchmark's stacks use (see --port-offset).
OFFSET = 0


def port(base: int) -> int:
    return base + OFFSET


def _row(
    cold: float, warm: float, idle: float, processes: int, times: list[float], after: float
) -> dict:
    return {
        "cold_s": cold,
        "warm_s": warm,
        "idle_pss_mb": idle,
        "processes": processes,
        "first_run_s": times[0],
        "run_median_s": statistics.median(times[1:] or times),
        "runs": times,
        "after_runs_pss_mb": after,
    }


def unpause_and_settle(api: AirflowApi) -> None:
    """Unpause the DAG, and let the scheduled run that unpausing starts end.

    Done before the warm start: otherwise that run (nft-pipeline is @daily) would run
    beside the first timed one, on one stack and not the other, or on both unevenly.
    """
    api.set_paused(DAG_ID, False)
    wait_until(lambda: api.dag_runs(DAG_ID), 30, 0.5)  # the scheduled run, once created
    if not wait_until(lambda: not api.dag_runs(DAG_ID, state=["queued", "running"]), 300, 0.5):
        raise SystemExit("the scheduled run after unpausing did not end in 300 s")


def trigger_times(api: AirflowApi, runs: int, base_date: str) -> list[float]:
    """Trigger-to-success of ``runs`` runs, one after the other."""
    times = []
    for i in range(runs):
        t0 = time.monotonic()
        run = api.trigger(DAG_ID, f"{base_date}T00:00:{i:02d}+00:00", {"limit": 20})
        done = api.wait_for_run(DAG_ID, run["dag_run_id"], timeout=300, interval=0.1)
        if done["state"] != "success":
            raise SystemExit(f"run {run['dag_run_id']} ended {done['state']}")
        times.append(time.monotonic() - t0)
    return times


def bench_lab(runs: int) -> dict:
    home = Path(tempfile.mkdtemp(prefix="airflow-lab-bench-"))
    settings = load_settings(
        home=home, api_port=port(18080), postgres_port=port(15433), nft_api_port=port(18090)
    )
    try:
        cold = stack.up(settings)
        unpause_and_settle(AirflowApi(settings))
        stack.down(settings)
        warm = stack.up(settings)
        time.sleep(10)  # settle before reading idle memory
        procs = stack.supervisor_tree(settings)
        idle = pss_mb(procs)
        times = trigger_times(AirflowApi(settings), runs, "2023-03-01")
        after = pss_mb(stack.supervisor_tree(settings))
        return _row(cold, warm, idle, len(procs), times, after)
    finally:
        stack.down(settings)
        shutil.rmtree(home, ignore_errors=True)


def bench_standalone(runs: int, nft_settings, borrowed: list[psutil.Process]) -> dict:
    """`airflow standalone` with defaults (SQLite, LocalExecutor), our DAG folder only.

    ``borrowed``: the helper's PostgreSQL and NFT API processes, which its DAG uses.
    """
    home = Path(tempfile.mkdtemp(prefix="airflow-standalone-bench-"))
    api_port = port(18280)
    from airflow_lab.credentials import load_credentials

    lab_creds = load_credentials(nft_settings)
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{api_port}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        # its log servers too, away from another standalone's 8793/8794
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(port(18793)),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(port(18794)),
        # the same connections as the lab, so the same DAG runs
        "AIRFLOW_CONN_OPENSEA_API": json.dumps(
            {
                "conn_type": "http",
                "host": "127.0.0.1",
                "port": nft_settings.nft_api_port,
                "schema": "http",
                "extra": {"x-api-key": lab_creds.nft_api_key},
            }
        ),
    }
    env.pop("PYTHONPATH", None)
    # standalone starts its components as `airflow ...` from PATH: the venv's, here.
    env["PATH"] = f"{venv_bin()}{os.pathsep}{env.get('PATH', '')}"
    env["AIRFLOW_CONN_DB_POSTGRE"] = airflow_env(nft_settings, lab_creds)["AIRFLOW_CONN_DB_POSTGRE"]

    def stop(proc: subprocess.Popen) -> None:
        procs = tree(psutil.Process(proc.pid))
        os.killpg(proc.pid, signal.SIGTERM)
        _, alive = psutil.wait_procs(procs, timeout=30)
        for p in alive:
            p.kill()

    def start() -> tuple[subprocess.Popen, float]:
        t0 = time.monotonic()
        proc = subprocess.Popen(
            [str(venv_bin() / "airflow"), "standalone"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = t0 + 300
        while time.monotonic() < deadline:
            try:
                health = requests.get(
                    f"http://127.0.0.1:{api_port}/api/v2/monitor/health", timeout=2
                ).json()
                if all(
                    health.get(k, {}).get("status") == "healthy"
                    for k in ("metadatabase", "scheduler", "triggerer", "dag_processor")
                ):
                    return proc, time.monotonic() - t0
            except (requests.RequestException, ValueError):
                pass
            time.sleep(0.2)
        stop(proc)  # never leave a standalone running behind a failed benchmark
        raise SystemExit("standalone did not become healthy in 300 s")

    try:
        proc, cold = start()
        password = json.loads((home / "simple_auth_manager_passwords.json.generated").read_text())[
            "admin"
        ]
        api = AirflowApi(nft_settings, base_url=f"http://127.0.0.1:{api_port}", password=password)
        if not wait_until(lambda: api.dag_exists(DAG_ID), 120, 0.5):
            raise SystemExit("standalone never parsed nft-pipeline")
        unpause_and_settle(api)
        stop(proc)
        proc, warm = start()
        time.sleep(10)
        procs = tree(psutil.Process(proc.pid)) + borrowed_now(borrowed)
        idle = pss_mb(procs)
        times = trigger_times(api, runs, "2023-04-01")
        after = pss_mb(tree(psutil.Process(proc.pid)) + borrowed_now(borrowed))
        stop(proc)
        return _row(cold, warm, idle, len(procs), times, after)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-standalone", action="store_true")
    parser.add_argument(
        "--port-offset", type=int, default=int(os.environ.get("AIRFLOW_LAB_PORT_OFFSET") or 0)
    )
    args = parser.parse_args()
    global OFFSET
    OFFSET = args.port_offset
    print(f"machine: {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB")
    lab = bench_lab(args.runs)
    # printed at once too, so that a standalone that fails to start does not lose it
    print("lab stack:", json.dumps({k: v for k, v in lab.items()}, default=str), flush=True)
    rows = {"lab stack": lab}
    if not args.skip_standalone:
        # standalone needs an NFT API and a PostgreSQL for the DAG's connections: borrow a lab
        home = Path(tempfile.mkdtemp(prefix="airflow-lab-bench-nft-"))
        helper = load_settings(
            home=home, api_port=port(18380), postgres_port=port(15533), nft_api_port=port(18390)
        )
        try:
            stack.up(helper)
            # Only what standalone borrows keeps running: an idle Airflow beside it
            # would take CPU from its figures. What it borrows counts in its memory,
            # as the lab's own PostgreSQL and NFT API count in the lab's.
            for name in HELPER_AIRFLOW:
                client(helper).stopProcess(name, True)
            borrowed = stack.supervisor_tree(helper)[1:]  # not supervisord itself
            rows["airflow standalone (defaults)"] = bench_standalone(args.runs, helper, borrowed)
        finally:
            stack.down(helper)
            shutil.rmtree(home, ignore_errors=True)
    print(
        f"\n{'':32} {'cold start':>11} {'warm start':>11} {'idle PSS':>10} {'procs':>6} "
        f"{'first run':>10} {'later runs':>11} {'first/later':>12} {'PSS after runs':>15}"
    )
    for name, r in rows.items():
        print(
            f"{name:32} {r['cold_s']:>9.1f} s {r['warm_s']:>9.1f} s {r['idle_pss_mb']:>7.0f} MB "
            f"{r['processes']:>6} {r['first_run_s']:>8.1f} s {r['run_median_s']:>9.1f} s "
            f"{r['first_run_s'] / r['run_median_s']:>11.1f}x {r['after_runs_pss_mb']:>12.0f} MB"
        )
    if len(rows) == 2:
        a, b = rows["lab stack"], rows["airflow standalone (defaults)"]
        print(
            f"\nlab vs standalone: warm start {b['warm_s'] / a['warm_s']:.1f}x, "
            f"idle memory {a['idle_pss_mb'] / b['idle_pss_mb']:.2f}x of standalone's, "
            f"trigger-to-success (later runs) {b['run_median_s'] / a['run_median_s']:.1f}x, "
            f"first run {b['first_run_s'] / a['first_run_s']:.1f}x"
        )
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("runs (s):", {k: [round(t, 2) for t in v["runs"]] for k, v in rows.items()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
