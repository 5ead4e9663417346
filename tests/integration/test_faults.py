"""Faults, bad input and learner mistakes on the live stack: the kit keeps working and
loses nothing. Each case injects a real fault (through the NFT API's fault switch, a
real SIGKILL, a real PostgreSQL stop) and checks the table afterwards.

The session prints a summary line: faults injected, survived, rows lost, bad inputs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psutil
import pytest

from airflow_lab import db, stack
from airflow_lab.api import AirflowApi
from airflow_lab.credentials import load_credentials
from airflow_lab.nft_client import NftApiClient
from airflow_lab.settings import DAG_ID, Settings, load_settings
from airflow_lab.stack import supervisor_client
from airflow_lab.waiting import poll, wait_until

from .conftest import unique_logical_date

# Part of `make test`, run last in its session (tests/conftest.py); alone: `make test-faults`.
pytestmark = pytest.mark.faults

SUMMARY = {"faults injected": 0, "survived": 0, "rows lost": 0, "bad inputs tried": 0}


def table(lab: Settings) -> dict[str, tuple[str, str]]:
    return {r.token_id: (r.name, r.image_url) for r in db.nft_rows(lab).itertuples(index=False)}


@contextmanager
def fault(lab: Settings, kind: str, count: int | None = None, **options: object) -> Iterator[None]:
    """The NFT API misbehaves inside the block (counted in the summary), then recovers."""
    with NftApiClient(lab).fault(kind, count, **options):
        SUMMARY["faults injected"] += 1
        yield


def lost(before: dict, after: dict) -> int:
    """Rows that were there before and are gone or changed now."""
    gone = sum(1 for k, v in before.items() if after.get(k) != v)
    SUMMARY["rows lost"] += gone
    return gone


def tries(api: AirflowApi, run_id: str) -> dict[str, tuple[str, int]]:
    return {t["task_id"]: (t["state"], t["try_number"]) for t in api.task_instances(DAG_ID, run_id)}


def settled(lab: Settings, quiet_for: float = 15) -> bool:
    """Every service healthy, and none restarted in the last ``quiet_for`` seconds.

    After an outage some components crash a few seconds *after* the database is
    back (a failed heartbeat), and supervisord restarts them: healthy once is not
    yet settled.
    """
    from airflow_lab.stack import process_table

    table = process_table(lab).values()
    running = [p for p in table if p["statename"] == "RUNNING"]
    return all(s.healthy for s in stack.status(lab)) and all(
        p["now"] - p["start"] >= quiet_for for p in running
    )


@pytest.fixture(autouse=True)
def _baseline(lab: Settings, api: AirflowApi) -> None:
    """Every case starts from a table that holds the first page."""
    if len(table(lab)) < 20:
        assert api.run_dag(DAG_ID, unique_logical_date(), {"limit": 20})["state"] == "success"


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("500", {"count": 3}),
        ("429", {"count": 2, "retry_after": 1}),
        ("slow", {"count": 1, "delay": 12}),
    ],
)
def test_sensor_rides_out_transient_faults(
    lab: Settings, api: AirflowApi, kind: str, options: dict
) -> None:
    before = table(lab)
    with fault(lab, kind, **options):
        run = api.run_dag(DAG_ID, unique_logical_date(), {"limit": 20}, timeout=180)
    states = tries(api, run["dag_run_id"])
    assert run["state"] == "success", states
    assert states["is_api_available"] == ("success", 1), (
        "the sensor should poke again, not fail and retry"
    )
    assert lost(before, table(lab)) == 0
    SUMMARY["survived"] += 1


@pytest.mark.parametrize("kind", ["malformed", "empty"])
def test_bad_payload_fails_the_task_and_writes_nothing(
    lab: Settings, api: AirflowApi, kind: str
) -> None:
    before = table(lab)
    with fault(lab, kind):
        run = api.run_dag(DAG_ID, unique_logical_date(), {"limit": 20}, timeout=180)
    SUMMARY["bad inputs tried"] += 1
    states = tries(api, run["dag_run_id"])
    assert run["state"] == "failed"
    failed = [t for t, (s, _) in states.items() if s == "failed"]
    assert failed in (["extract_nft"], ["process_nft"]), states
    log = api.task_log(DAG_ID, run["dag_run_id"], failed[0], states[failed[0]][1]).lower()
    expected = "malformed json" if kind == "malformed" else "empty"
    assert expected in log, log[-1500:]
    assert states["store_nft"][0] == "upstream_failed"
    assert table(lab) == before and lost(before, table(lab)) == 0
    SUMMARY["survived"] += 1


def test_partial_page_stores_the_good_records_and_reports_the_bad(
    lab: Settings, api: AirflowApi
) -> None:
    with fault(lab, "partial"):
        run = api.run_dag(DAG_ID, unique_logical_date(), {"limit": 20}, timeout=180)
    SUMMARY["bad inputs tried"] += 1
    assert run["state"] == "success"
    log = api.task_log(DAG_ID, run["dag_run_id"], "process_nft", 1)
    assert "no identifier, skipped" in log and "stored as ''" in log, log[-1500:]
    rows = table(lab)
    assert all(name is not None and url is not None for name, url in rows.values())
    # the good first page comes back on the next clean run: nothing is lost for good
    before_clean = {k: v for k, v in rows.items()}
    assert api.run_dag(DAG_ID, unique_logical_date(), {"limit": 20})["state"] == "success"
    assert len(table(lab)) >= len(before_clean)
    SUMMARY["survived"] += 1


def test_scheduler_killed_mid_run_comes_back_and_the_run_completes(
    lab: Settings, api: AirflowApi
) -> None:
    before = table(lab)
    api.set_paused(DAG_ID, False)
    with fault(lab, "slow", count=1, delay=4):  # keeps the sensor busy while we kill
        run = api.trigger(DAG_ID, unique_logical_date(), {"limit": 20})
        info = supervisor_client(lab).getProcessInfo("scheduler")
        poll(
            lambda: api.dag_run(DAG_ID, run["dag_run_id"])["state"],
            lambda state: state == "running",
            timeout=60,
            interval=0.2,
            what="the run to start",
        )
        os.kill(info["pid"], signal.SIGKILL)
        done = api.wait_for_run(DAG_ID, run["dag_run_id"], timeout=240)
    assert supervisor_client(lab).getProcessInfo("scheduler")["pid"] != info["pid"], (
        "supervisor did not restart it"
    )
    assert done["state"] == "success", tries(api, run["dag_run_id"])
    assert lost(before, table(lab)) == 0
    assert wait_until(lambda: settled(lab), 180, 1), stack.status(lab)
    SUMMARY["survived"] += 1


def test_postgres_stopped_and_started_again(lab: Settings, api: AirflowApi) -> None:
    before = table(lab)
    proxy = supervisor_client(lab)
    proxy.stopProcess("postgres", True)
    SUMMARY["faults injected"] += 1
    time.sleep(2)  # an outage of a couple of seconds, as when a laptop sleeps
    proxy.startProcess("postgres", True)
    assert wait_until(lambda: settled(lab), 180, 1), stack.status(lab)
    run = api.run_dag(DAG_ID, unique_logical_date(), {"limit": 20}, timeout=240)
    assert run["state"] == "success"
    assert lost(before, table(lab)) == 0
    SUMMARY["survived"] += 1


def test_second_command_while_one_runs_is_told_not_queued(lab: Settings) -> None:
    with stack.stack_lock(lab):
        result = subprocess.run(
            [sys.executable, "-m", "airflow_lab.cli", "up"],
            capture_output=True,
            text=True,
            env=os.environ,
            timeout=60,
        )
    assert result.returncode == 1
    assert "another airflow-lab command is changing the stack" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_dag_with_a_syntax_error_is_reported_and_the_stack_stays_up(
    lab: Settings, api: AirflowApi
) -> None:
    path = lab.learner_dags / "broken_by_learner.py"
    path.write_text("from airflow.sdk import DAG\n\nwith DAG('broken' as dag:\n    pass\n")
    SUMMARY["bad inputs tried"] += 1
    try:
        assert wait_until(
            lambda: any(e["filename"].endswith(path.name) for e in api.import_errors()), 120, 1
        )
        assert wait_until(lambda: settled(lab), 180, 1), stack.status(lab)
        doctor = subprocess.run(
            [sys.executable, "-m", "airflow_lab.cli", "doctor"],
            capture_output=True,
            text=True,
            env=os.environ,
            timeout=120,
        )
        assert doctor.returncode == 1 and "broken_by_learner.py" in doctor.stdout, doctor.stdout
        assert "SyntaxError" in doctor.stdout
        assert all(s.healthy for s in stack.status(lab))
    finally:
        path.unlink(missing_ok=True)


def test_dag_with_a_cycle_is_reported_and_the_stack_stays_up(
    lab: Settings, api: AirflowApi
) -> None:
    path = lab.learner_dags / "cycle_by_learner.py"
    path.write_text(
        "from airflow.providers.standard.operators.empty import EmptyOperator\n"
        "from airflow.sdk import DAG\n\n"
        "with DAG('cycle_by_learner', schedule=None):\n"
        "    a, b = EmptyOperator(task_id='a'), EmptyOperator(task_id='b')\n"
        "    a >> b >> a\n"
    )
    SUMMARY["bad inputs tried"] += 1
    try:

        def reported() -> list[dict]:
            return [e for e in api.import_errors() if e["filename"].endswith(path.name)]

        assert wait_until(lambda: bool(reported()), 120, 1)
        assert "Cycle detected" in reported()[0]["stack_trace"], reported()[0]
        assert not api.dag_exists("cycle_by_learner")
        assert all(s.healthy for s in stack.status(lab))
    finally:
        path.unlink(missing_ok=True)


def test_wrong_connection_id_fails_the_task_with_a_clear_message(
    lab: Settings, api: AirflowApi
) -> None:
    path = lab.learner_dags / "wrong_conn.py"
    path.write_text(
        "from airflow.sdk import DAG\n"
        "from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator\n"
        "with DAG('wrong_conn', schedule=None, tags=['test']):\n"
        "    SQLExecuteQueryOperator(task_id='q', conn_id='db_postgres', sql='SELECT 1')\n"
    )
    SUMMARY["bad inputs tried"] += 1
    try:
        assert wait_until(lambda: api.dag_exists("wrong_conn"), 120, 1)
        run = api.run_dag("wrong_conn", None, timeout=120)
        assert run["state"] == "failed"
        log = api.task_log("wrong_conn", run["dag_run_id"], "q", 1)
        assert "db_postgres" in log and "isn't defined" in log, log[-1500:]
    finally:
        path.unlink(missing_ok=True)


def test_api_key_and_passwords_never_reach_a_log(lab: Settings, api: AirflowApi) -> None:
    creds = load_credentials(lab, create=False)
    run = api.run_dag(DAG_ID, unique_logical_date(), {"limit": 5})
    assert run["state"] == "success"
    secrets = {
        creds.nft_api_key,
        creds.admin_password,
        creds.nft_db_password,
        creds.airflow_db_password,
        creds.postgres_password,
    }
    logs = [p for p in (lab.home / "airflow" / "logs").rglob("*") if p.is_file()]
    logs += list(lab.logs_dir.glob("*.log"))
    assert logs, "no logs found to check"
    leaks = [str(p) for p in logs for s in secrets if s in p.read_text(errors="replace")]
    assert not leaks, f"a secret appears in {leaks}"


def test_no_process_of_the_stack_runs_outside_the_supervisor(lab: Settings) -> None:
    """Every process that names the lab's folder descends from its supervisord.

    The scheduler kill above is the usual source of strays: its LocalExecutor
    workers, orphaned. Checked by ancestry at the time of looking, so a process
    forked a moment ago (a new PostgreSQL backend) is not taken for a stray.
    """
    supervisord = int((lab.run_dir / "supervisord.pid").read_text())
    me = psutil.Process()
    mine = {me.pid, *(p.pid for p in me.parents())}  # pytest, and make's shell above it
    names_home = stack.names_path(lab.home)
    strays = []
    for proc in psutil.process_iter(["cmdline", "cwd"]):
        with contextlib.suppress(psutil.Error):
            cmd = " ".join(proc.info["cmdline"] or [])
            ours = names_home(cmd) or (
                cmd.startswith(("airflow", "celery")) and names_home(proc.info["cwd"] or "")
            )
            family = {proc.pid, *(p.pid for p in proc.parents())}
            if ours and supervisord not in family and me.pid not in family and proc.pid not in mine:
                strays.append((proc.pid, cmd[:80]))
    assert not strays, f"processes of this lab outside the supervisor: {strays}"


def teardown_module() -> None:
    line = ", ".join(f"{k}: {v}" for k, v in SUMMARY.items())
    print(f"\nfault summary: {line}")
    (load_settings().home / "fault-summary.txt").write_text(line + "\n")
