"""A second live stack with the celery profile: a broker and two workers.

It runs in its own pytest invocation (`make test` runs it after the one-node
session), so the two stacks never compete for the two cores of a laptop.
"""

from __future__ import annotations

from pathlib import Path

import psutil
import pytest

from airflow_lab import stack
from airflow_lab.api import AirflowApi
from airflow_lab.settings import Settings, load_settings
from airflow_lab.stack import port_open
from tests.notebooks.course import CeleryCourseModule


def pytest_pycollect_makemodule(module_path: Path, parent):  # type: ignore[no-untyped-def]
    """The celery notebooks hang under test_celery_notebooks.py (see tests/notebooks/course.py)."""
    if module_path.name == "test_celery_notebooks.py":
        return CeleryCourseModule.from_parent(parent, path=module_path)
    return None


@pytest.fixture(scope="session")
def lab() -> Settings:
    settings = load_settings()
    from airflow_lab.doctor import _broker

    if not settings.broker_url and _broker().level != "ok":
        pytest.skip(
            "no Redis-protocol broker on this platform: install redis-server or set "
            "AIRFLOW_LAB_BROKER_URL to run the celery profile tests"
        )
    lines: list[str] = []
    seconds = stack.up(settings, profile="celery", report=lines.append)
    print(f"\ncelery stack up in {seconds:.1f} s:\n  " + "\n  ".join(lines))
    procs = stack.supervisor_tree(settings)
    yield settings
    stack.down(settings)
    _, alive = psutil.wait_procs(procs, timeout=5)
    assert not alive, f"down left processes behind: {[(p.pid, p.name()) for p in alive]}"
    ports = [*settings.ports().values(), settings.broker_port]
    assert not [p for p in ports if port_open(settings.host, p)], "down left ports listening"


@pytest.fixture(scope="session")
def api(lab: Settings) -> AirflowApi:
    return AirflowApi(lab)
