"""Shared test setup: every test talks to the test stack, never the learner's.

`make test` sets AIRFLOW_LAB_HOME=.lab-test and AIRFLOW_LAB_PORT_OFFSET=100; the
defaults below give a bare `pytest` the same separation.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("AIRFLOW_LAB_HOME", str(ROOT / ".lab-test"))
os.environ.setdefault("AIRFLOW_LAB_PORT_OFFSET", "100")

import psutil  # noqa: E402
import pytest  # noqa: E402

from airflow_lab import stack  # noqa: E402
from airflow_lab.api import AirflowApi  # noqa: E402
from airflow_lab.settings import Settings, load_settings  # noqa: E402


@pytest.fixture(scope="session")
def lab() -> Settings:
    """The live test stack, started once per session (real PostgreSQL, Airflow, HTTP).

    At the end it is stopped, and the session fails if any process it started is
    still alive or any of its ports still listens: `down` leaves nothing behind.
    """
    settings = load_settings()
    lines: list[str] = []
    seconds = stack.up(settings, report=lines.append)
    print(f"\nlab stack up in {seconds:.1f} s at {settings.home}:\n  " + "\n  ".join(lines))
    procs = stack.supervisor_tree(settings)
    yield settings
    stack.down(settings)
    _, alive = psutil.wait_procs(procs, timeout=5)
    listening = [port for port in settings.ports().values() if stack.port_open(settings.host, port)]
    assert not alive, f"down left processes behind: {[(p.pid, p.name()) for p in alive]}"
    assert not listening, f"down left ports listening: {listening}"


@pytest.fixture(scope="session")
def api(lab: Settings) -> AirflowApi:
    return AirflowApi(lab)


_SESSION_START = __import__("time").time()


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    """Print the fault summary and notebook timings that this session's tests recorded."""
    home = Path(os.environ["AIRFLOW_LAB_HOME"])
    for name, label in (
        ("fault-summary.txt", "fault summary"),
        ("notebook-timings.json", "notebook seconds"),
    ):
        path = home / name
        if path.exists() and path.stat().st_mtime >= _SESSION_START:
            terminalreporter.write_line(f"{label}: {path.read_text().strip()}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the fault cases last: they kill and restart parts of the shared stack, and
    the notebooks should never pay for a case that left it slow to recover."""
    items.sort(key=lambda item: item.get_closest_marker("faults") is not None)
