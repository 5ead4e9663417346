"""The stack's own life on a hard day: Ctrl-C during `up`, a crash, `down` with a
run in flight, a port someone else holds.

These cases stop and kill a whole stack, so they run on one of their own (its own
folder, ports +200), never on the stack the other tests share. Every case drives
the real `airflow-lab` command in a subprocess, as a learner would, and checks
what is left: processes, ports, the table.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import psutil
import pytest
import requests

from airflow_lab import db, stack
from airflow_lab.api import AirflowApi
from airflow_lab.credentials import load_credentials
from airflow_lab.settings import DAG_ID, DEFAULT_PORTS, PROJECT_ROOT, Settings, load_settings
from airflow_lab.stack import port_open
from airflow_lab.waiting import wait_until

from ..integration.conftest import unique_logical_date

pytestmark = pytest.mark.faults

OFFSET = 200
HOME = PROJECT_ROOT / ".lab-test-lifecycle"
ENV = {**os.environ, "AIRFLOW_LAB_HOME": str(HOME), "AIRFLOW_LAB_PORT_OFFSET": str(OFFSET)}


def settings() -> Settings:
    return load_settings(home=HOME, **{p: DEFAULT_PORTS[p] + OFFSET for p in DEFAULT_PORTS})


def cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "airflow_lab.cli", *args],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=timeout,
    )


def processes_of_this_lab() -> list[psutil.Process]:
    """Every live process that names this lab's folder or works in it."""
    names_home = stack.names_path(HOME)
    found = []
    for proc in psutil.process_iter(["cmdline", "cwd"]):
        if proc.pid == os.getpid():
            continue
        cmd = " ".join(proc.info["cmdline"] or [])
        if names_home(cmd) or names_home(proc.info["cwd"] or ""):
            found.append(proc)
    return found


def assert_nothing_left(s: Settings) -> None:
    left = [p for p in processes_of_this_lab() if p.is_running() and p.status() != "zombie"]
    assert not left, f"left running: {[(p.pid, p.name()) for p in left]}"
    listening = [port for port in s.ports().values() if port_open(s.host, port)]
    assert not listening, f"ports still listening: {listening}"


def plain(result: subprocess.CompletedProcess) -> str:
    out = result.stdout + result.stderr
    assert "Traceback" not in out, out
    return out


@pytest.fixture(scope="module", autouse=True)
def _clean_home() -> Iterator[None]:
    stack.reset(settings())
    yield
    stack.reset(settings())


def test_ctrl_c_during_up_leaves_nothing_half_started() -> None:
    s = settings()
    proc = subprocess.Popen(
        [sys.executable, "-m", "airflow_lab.cli", "up"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=ENV,
        # A shell that starts a job in the background (a CI runner, `make ... &`) makes
        # it ignore SIGINT, and Python then keeps ignoring it: Ctrl-C comes from a
        # terminal, so the test gives `up` a terminal's default handling back.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:  # interrupt once PostgreSQL runs and the migration starts
        lines.append(line)
        if "postgres    healthy" in line:
            break
    else:
        pytest.fail("up ended before PostgreSQL was healthy:\n" + "".join(lines))
    time.sleep(1)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=120)
    text = "".join(lines) + out
    assert proc.returncode == 130, text
    assert "interrupted" in text and "Traceback" not in text, text
    assert_nothing_left(s)


def test_up_after_an_interrupted_up_and_after_a_crash_recovers() -> None:
    s = settings()
    first = cli("up")
    assert first.returncode == 0, plain(first)
    assert "Ready in" in first.stdout
    # The laptop loses power: every process of the stack dies at once, no goodbye.
    # Left behind: supervisord's pid file and socket, PostgreSQL's postmaster.pid.
    tree = stack.supervisor_tree(s)
    assert tree
    for proc in tree:
        proc.kill()
    psutil.wait_procs(tree, timeout=10)
    assert (s.run_dir / "supervisord.pid").exists() and (s.pgdata / "postmaster.pid").exists()
    again = cli("up")
    assert again.returncode == 0, plain(again)
    assert all(row.healthy for row in stack.status(s)), stack.status(s)
    assert cli("status").returncode == 0


def test_jupyterlab_needs_its_token_and_listens_on_loopback_only() -> None:
    """What `make lab` adds: JupyterLab, under the same supervisor, token kept."""
    s = settings()
    started = cli("lab")
    out = plain(started)
    assert started.returncode == 0, out
    token = load_credentials(s, create=False).jupyter_token
    assert f"{s.jupyter_url}/lab?token={token}" in out, "the printed URL must carry the token"
    assert wait_until(lambda: port_open(s.host, s.jupyter_port), 60, 0.5)
    api = f"{s.jupyter_url}/api/contents"
    assert requests.get(api, timeout=10).status_code == 403
    assert requests.get(api, params={"token": "wrong"}, timeout=10).status_code == 403
    assert requests.get(api, params={"token": token}, timeout=10).status_code == 200
    listening = {
        c.laddr.ip
        for c in psutil.net_connections(kind="tcp")
        if c.status == psutil.CONN_LISTEN and c.laddr.port == s.jupyter_port
    }
    assert listening == {"127.0.0.1"}, listening


def test_down_with_a_run_in_flight_stops_everything_and_loses_nothing() -> None:
    s = settings()
    api = AirflowApi(s)
    assert api.run_dag(DAG_ID, unique_logical_date(), {"limit": 20})["state"] == "success"
    before = db.nft_rows(s).sort_values("token_id").reset_index(drop=True)
    api.set_paused(DAG_ID, False)
    run = api.trigger(DAG_ID, unique_logical_date(), {"limit": 40})
    assert wait_until(
        lambda: any(t["state"] == "running" for t in api.task_instances(DAG_ID, run["dag_run_id"])),
        120,
        0.2,
    )
    stopped = cli("down")
    assert stopped.returncode == 0 and "stopped" in plain(stopped)
    assert_nothing_left(s)
    # Back up: the table holds at least what it held, every row unchanged or newer.
    assert cli("up").returncode == 0
    after = db.nft_rows(s).set_index("token_id")
    missing = set(before.token_id) - set(after.index)
    assert not missing, f"rows lost: {sorted(missing)[:5]}"
    assert api.run_dag(DAG_ID, unique_logical_date(), {"limit": 20})["state"] == "success"


def test_a_busy_port_is_named_and_nothing_starts() -> None:
    s = settings()
    assert cli("down").returncode == 0
    with socket.socket() as squatter:
        # SO_REUSEADDR: the stack just stopped, its old connections may be in TIME_WAIT.
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind((s.host, s.api_port))
        squatter.listen()
        result = cli("up")
    out = plain(result)
    assert result.returncode == 1, out
    assert f"port {s.api_port}" in out and "AIRFLOW_LAB_API_PORT" in out, out
    assert len([line for line in out.splitlines() if "error" in line.lower()]) == 1, out
    assert_nothing_left(s)


def test_reset_removes_the_lab_folder() -> None:
    s = settings()
    assert cli("reset", "--yes").returncode == 0
    assert not HOME.exists()
    assert_nothing_left(s)
    shutil.rmtree(HOME, ignore_errors=True)
