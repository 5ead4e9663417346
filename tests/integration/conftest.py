"""The live stack for integration and notebook tests: started once per session.

Nothing here is mocked: real PostgreSQL, real Airflow processes, real HTTP. At the
end the fixture stops the stack and fails the session if any process it started
is still alive or any port still listens ("down leaves no process behind").
"""

from __future__ import annotations

import time

import psutil
import pytest

from airflow_lab import stack
from airflow_lab.api import AirflowApi
from airflow_lab.settings import Settings, load_settings
from airflow_lab.stack import _supervisor_tree


@pytest.fixture(scope="session")
def lab() -> Settings:
    settings = load_settings()
    lines: list[str] = []
    seconds = stack.up(settings, report=lines.append)
    print(f"\nlab stack up in {seconds:.1f} s at {settings.home}:\n  " + "\n  ".join(lines))
    procs = _supervisor_tree(settings)
    yield settings
    stack.down(settings)
    time.sleep(0.2)
    alive = [p for p in procs if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    from airflow_lab.services import port_open

    listening = [port for port in settings.ports().values() if port_open(settings.host, port)]
    assert not alive, f"down left processes behind: {[(p.pid, p.name()) for p in alive]}"
    assert not listening, f"down left ports listening: {listening}"


@pytest.fixture(scope="session")
def api(lab: Settings) -> AirflowApi:
    return AirflowApi(lab)


_counter = iter(range(1_000_000))


def unique_logical_date() -> str:
    """A logical date no earlier run of this test stack has used (DagRuns are unique by it)."""
    from datetime import UTC, datetime, timedelta

    base = datetime(2022, 1, 1, tzinfo=UTC)
    offset = timedelta(seconds=int(time.time()) % 10**8, milliseconds=next(_counter))
    return (base + offset).isoformat()
