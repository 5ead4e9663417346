"""airflow_lab.stack.supervisor: a real supervisord from the venv, with trivial programs.

Its home is a short folder under /tmp: a UNIX socket path must be under 108 bytes.
Whatever a test does, the fixture ends every process of its supervisord's tree.
"""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import sys
import tempfile
import xmlrpc.client
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from supervisor.xmlrpc import Faults

from airflow_lab.errors import LabError, ServiceError
from airflow_lab.settings import Settings
from airflow_lab.stack import processes, supervisor
from airflow_lab.stack.services import Service
from airflow_lab.waiting import wait_until

PY_ENV_ECHO = (
    "import os, pathlib, time; pathlib.Path('env-seen').write_text(os.environ['LAB_TEST_VALUE']);"
    " time.sleep(300)"
)


PY_NICE_ECHO = (
    "import os, pathlib, time; pathlib.Path('nice-seen').write_text(str(os.nice(0)));"
    " time.sleep(300)"
)


def _services() -> list[Service]:
    return [
        Service("sleeper", shlex.join([shutil.which("sleep") or "/bin/sleep", "300"])),
        # with an environment: started through airflow_lab.stack.launch and its private file
        Service(
            "py-env",
            shlex.join([sys.executable, "-c", PY_ENV_ECHO]),
            env={"LAB_TEST_VALUE": "100% from the env file"},
        ),
        # lower priority, as the lab's Airflow components but the api-server have
        Service(
            "py-nice",
            shlex.join([sys.executable, "-c", PY_NICE_ECHO]),
            env={"LAB_TEST_VALUE": "x"},
            nice=3,
        ),
        Service("quitter", shlex.join([shutil.which("false") or "/bin/false"])),
        Service("missing", "/nonexistent/airflow-lab/no-such-binary --flag"),
    ]


def _start(home: Path) -> Settings:
    settings = Settings(home=home)
    assert len(str(settings.supervisor_socket)) < 108
    supervisor.write_conf(settings, _services())
    supervisor.start(settings)
    return settings


def _end(settings: Settings, seen: list[psutil.Process]) -> None:
    procs = {p.pid: p for p in [*seen, *processes.supervisor_tree(settings)]}
    processes.kill(list(procs.values()), grace=1)
    shutil.rmtree(settings.home, ignore_errors=True)


@pytest.fixture
def short_home() -> Iterator[Path]:
    home = Path(tempfile.mkdtemp(prefix="al-sv-", dir="/tmp"))
    yield home
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def lab() -> Iterator[Settings]:
    """One supervisord for the tests that do not stop it."""
    settings = Settings(home=Path(tempfile.mkdtemp(prefix="al-sv-", dir="/tmp")))
    seen: list[psutil.Process] = []
    try:
        settings = _start(settings.home)
        seen = processes.supervisor_tree(settings)
        yield settings
    finally:
        _end(settings, seen)


def test_the_config_is_private_and_names_each_program(lab: Settings) -> None:
    assert stat.S_IMODE(lab.supervisor_conf.stat().st_mode) == 0o600
    text = lab.supervisor_conf.read_text()
    assert f"file={lab.supervisor_socket}" in text
    for name in ("sleeper", "py-env", "quitter", "missing"):
        assert f"[program:{name}]" in text
    # '%' is supervisord's expansion character: doubled in commands
    assert "100%" not in text
    env_file = lab.service_env_dir / "py-env.json"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600


def test_running_and_the_process_table(lab: Settings, short_home: Path) -> None:
    assert supervisor.running(lab)
    assert not supervisor.running(Settings(home=short_home))  # no socket: no supervisord
    assert supervisor.process_table(Settings(home=short_home)) == {}
    table = supervisor.process_table(lab)
    assert set(table) == {"sleeper", "py-env", "py-nice", "quitter", "missing"}
    assert all(info["statename"] == "STOPPED" for info in table.values())  # autostart=false
    assert supervisor.state_of(lab, "no-such-program") is None


def test_start_program_runs_it_and_twice_is_fine(lab: Settings) -> None:
    supervisor.start_program(lab, "sleeper")
    supervisor.start_program(lab, "sleeper")  # STARTING or RUNNING: nothing to do
    assert wait_until(lambda: supervisor.state_of(lab, "sleeper") == "RUNNING", 10, 0.1)
    pid = supervisor.process_table(lab)["sleeper"]["pid"]
    assert psutil.Process(pid).cmdline()[-1] == "300"
    assert psutil.Process(pid) in processes.supervisor_tree(lab)
    supervisor.start_program(lab, "sleeper")
    assert supervisor.process_table(lab)["sleeper"]["pid"] == pid  # not restarted
    # What start_program relies on: supervisord says "already started" by a fault code.
    with pytest.raises(xmlrpc.client.Fault) as info:
        supervisor.client(lab).startProcess("sleeper", False)
    assert info.value.faultCode == Faults.ALREADY_STARTED


def _start_and_read(lab: Settings, name: str, filename: str) -> tuple[str, psutil.Process]:
    """Start a program that writes ``filename``; its text, and the program's process."""
    supervisor.start_program(lab, name)
    seen = lab.home / filename
    # the file exists a moment before its text is written: wait for the text
    assert wait_until(lambda: seen.exists() and seen.read_text(), 20, 0.1), (
        lab.logs_dir / f"{name}.log"
    ).read_text()
    proc = psutil.Process(supervisor.process_table(lab)[name]["pid"])
    assert proc.cmdline()[:2] == [sys.executable, "-c"]  # exec'd by launch: same pid
    return seen.read_text(), proc


def test_a_program_started_through_launch_gets_its_environment(lab: Settings) -> None:
    text, _ = _start_and_read(lab, "py-env", "env-seen")
    assert text == "100% from the env file"


def test_a_program_with_a_nice_runs_at_that_lower_priority(lab: Settings) -> None:
    text, proc = _start_and_read(lab, "py-nice", "nice-seen")
    assert int(text) == os.nice(0) + 3
    assert proc.nice() == os.nice(0) + 3


def test_a_program_in_backoff_is_started_already(lab: Settings) -> None:
    """supervisord answers ALREADY_STARTED for a program between retries; that is no error."""
    supervisor.start_program(lab, "quitter")
    assert wait_until(lambda: supervisor.state_of(lab, "quitter") == "BACKOFF", 10, 0.05)
    supervisor.start_program(lab, "quitter")
    assert supervisor.state_of(lab, "quitter") in ("BACKOFF", "STARTING")


def test_a_program_that_cannot_start_names_its_log(lab: Settings) -> None:
    with pytest.raises(ServiceError) as info:
        supervisor.start_program(lab, "missing")
    assert info.value.service == "missing"
    assert info.value.log == str(lab.logs_dir / "missing.log")
    assert "could not start" in str(info.value)
    assert "airflow-lab logs missing" in str(info.value)


def test_stop_all_leaves_no_process(short_home: Path) -> None:
    settings = _start(short_home)
    seen: list[psutil.Process] = []
    try:
        supervisor.start_program(settings, "sleeper")
        supervisor.start_program(settings, "py-env")
        assert wait_until(
            lambda: (
                {supervisor.state_of(settings, n) for n in ("sleeper", "py-env")} == {"RUNNING"}
            ),
            20,
            0.1,
        )
        seen = processes.supervisor_tree(settings)
        assert len(seen) >= 3  # supervisord and two programs
        supervisor.stop_all(settings)
        _, alive = psutil.wait_procs(seen, timeout=15)
        assert not alive, [p.info for p in alive]
        assert processes.supervisor_tree(settings) == []
        assert not supervisor.running(settings)
        supervisor.stop_all(settings)  # nothing left to stop: no error
    finally:
        _end(settings, seen)


def test_a_supervisord_that_does_not_answer_is_named(short_home: Path) -> None:
    settings = _start(short_home)
    seen = processes.supervisor_tree(settings)
    try:
        settings.supervisor_socket.unlink()  # alive, but unreachable
        assert not supervisor.running(settings)
        with pytest.raises(LabError, match=rf"supervisord \(pid {seen[0].pid}\) .* not answering"):
            supervisor.start(settings)
    finally:
        _end(settings, seen)
