"""airflow_lab.stack.processes: ports and their owners, this lab's processes, kills.

Against real sockets and real processes. Which processes `up` and `down` may end as
leftovers of a lab: only that lab's. Two labs live side by side (`.lab` and the test
stack's `.lab-test`), so a command line that names one must never be taken for the
other's.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from airflow_lab.errors import PortBusyError
from airflow_lab.settings import Settings
from airflow_lab.stack import names_path
from airflow_lab.stack.processes import busy_ports, check_ports, kill, port_open, port_owner, strays

HOME = Path("/work/kit/.lab")


@pytest.mark.parametrize(
    ("cmdline", "ours"),
    [
        ("postgres -D /work/kit/.lab/pgdata -h 127.0.0.1", True),
        (
            "python -m airflow_lab.stack.launch /work/kit/.lab/run/env/scheduler.json -- airflow",
            True,
        ),
        ("tail -f /work/kit/.lab", True),
        ("postgres -D /work/kit/.lab-test/pgdata -h 127.0.0.1", False),
        ("/bin/sh -c AIRFLOW_LAB_HOME=/work/kit/.lab-test-celery make test", False),
        ("cp -r /work/kit/.lab.bak /tmp", False),
        ("vim /work/kit/.labnotes", False),
    ],
)
def test_a_command_line_names_this_lab_and_no_other(cmdline: str, ours: bool) -> None:
    assert names_path(HOME)(cmdline) is ours


@pytest.fixture
def listening() -> Iterator[int]:
    """A port this test process listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_port_open(listening: int, free_port) -> None:
    assert port_open("127.0.0.1", listening)
    assert not port_open("127.0.0.1", free_port())


def test_port_owner_names_the_listening_process(listening: int, free_port) -> None:
    me = psutil.Process()
    assert port_owner("127.0.0.1", listening) == f"pid {me.pid} ({me.name()})"
    assert port_owner("127.0.0.1", free_port()) is None


def test_busy_ports_names_the_owner_and_the_variable_to_change(
    listening: int, free_port, tmp_path: Path
) -> None:
    settings = Settings(home=tmp_path, api_port=listening, nft_api_port=free_port())
    busy = busy_ports(settings, ["api-server", "nft-api", "scheduler"])
    assert len(busy) == 1
    error = busy[0]
    assert (error.service, error.port, error.env_var) == (
        "api-server",
        listening,
        "AIRFLOW_LAB_API_PORT",
    )
    assert f"pid {os.getpid()}" in error.owner
    assert f"port {listening} for api-server is taken by pid {os.getpid()}" in str(error)
    assert "AIRFLOW_LAB_API_PORT" in str(error)
    with pytest.raises(PortBusyError):
        check_ports(settings, ["nft-api", "api-server"])
    check_ports(settings, ["nft-api"])  # a free port: no error


def _sleeper(*args: str, ignore_term: bool = False) -> subprocess.Popen:
    code = "import signal, sys, time\n"
    if ignore_term:
        code += "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    code += "print('ready', flush=True)\ntime.sleep(60)\n"
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    return proc


@pytest.fixture
def spawned() -> Iterator[list[subprocess.Popen]]:
    procs: list[subprocess.Popen] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


def test_kill_terminates_then_kills_what_ignores_it(spawned: list) -> None:
    polite = _sleeper()
    stubborn = _sleeper(ignore_term=True)
    spawned += [polite, stubborn]
    procs = [psutil.Process(polite.pid), psutil.Process(stubborn.pid)]
    t0 = time.monotonic()
    kill(procs, grace=0.5)
    # psutil reaps its children and keeps how they ended (minus the signal number)
    assert procs[0].returncode == -signal.SIGTERM  # SIGTERM was enough
    assert procs[1].returncode == -signal.SIGKILL  # SIGKILL after the grace
    assert not any(p.is_running() for p in procs)
    assert time.monotonic() - t0 < 5


def test_kill_without_terminate_only_kills_after_the_grace(spawned: list) -> None:
    proc = _sleeper()
    spawned.append(proc)
    handle = psutil.Process(proc.pid)
    kill([handle], grace=0.2, terminate=False)
    assert handle.returncode == -signal.SIGKILL


def test_kill_of_a_process_already_gone_is_fine(spawned: list) -> None:
    proc = _sleeper()
    spawned.append(proc)
    handle = psutil.Process(proc.pid)
    proc.kill()
    proc.wait(5)
    kill([handle], grace=0.2)  # no exception
    assert not handle.is_running()


def test_strays_are_this_labs_processes_only(spawned: list, tmp_path: Path) -> None:
    home = tmp_path / "lab"
    ours = _sleeper(str(home / "pgdata"))
    other = _sleeper(str(tmp_path / "lab-test" / "pgdata"))
    spawned += [ours, other]
    found = {p.pid for p in strays(Settings(home=home))}
    assert ours.pid in found
    assert other.pid not in found
    assert os.getpid() not in found
