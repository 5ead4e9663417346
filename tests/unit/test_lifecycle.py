"""airflow_lab.stack.lifecycle: ``up`` migrates the metastore once per Airflow version.

The components do not check the schema at start (``[database] check_migrations`` is
off), so the marker is the check: a version the metastore was not migrated for runs
``airflow db migrate`` again. The command itself is replaced by a recorder here;
tests/lifecycle and every stack test run the real one.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from airflow_lab.credentials import Credentials
from airflow_lab.errors import ServiceError
from airflow_lab.settings import AIRFLOW_VERSION, Settings
from airflow_lab.stack import airflow_cli, lifecycle

CREDS = Credentials(**{f: f"{f}-x" for f in Credentials.__dataclass_fields__})


@pytest.fixture
def migrations(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    calls: list[tuple[str, ...]] = []

    def record(settings: Settings, creds: Credentials, *args: str, **_: object):
        calls.append(args)
        return subprocess.CompletedProcess(args, 0, "", "")

    monkeypatch.setattr(airflow_cli, "run", record)
    return calls


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = Settings(home=tmp_path / "lab")
    settings.logs_dir.mkdir(parents=True)
    settings.run_dir.mkdir(parents=True)  # as up's lock makes it
    return settings


def test_a_new_lab_is_migrated_once(settings, migrations) -> None:
    lifecycle._migrate(settings, CREDS, print)
    assert migrations == [("db", "migrate")]
    lifecycle._migrate(settings, CREDS, print)
    assert len(migrations) == 1, "migrated twice for one Airflow version"


def test_a_marker_of_another_airflow_version_does_not_count(settings, migrations) -> None:
    (settings.run_dir / "migrated-3.2.0").write_text("2026-01-01T00:00:00")
    lifecycle._migrate(settings, CREDS, print)
    assert migrations == [("db", "migrate")]
    assert settings.migrated_marker.name == f"migrated-{AIRFLOW_VERSION}"


def test_a_failed_migration_leaves_no_marker(settings, monkeypatch) -> None:
    failed = subprocess.CompletedProcess((), 1, "", "could not connect")
    monkeypatch.setattr(airflow_cli, "run", lambda *a, **k: failed)
    with pytest.raises(ServiceError, match="migration failed"):
        lifecycle._migrate(settings, CREDS, print)
    assert not settings.migrated_marker.exists()
    assert "could not connect" in (settings.logs_dir / "migrate.log").read_text()
