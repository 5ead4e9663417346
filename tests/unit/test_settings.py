"""airflow_lab.settings: precedence, the port offset, parsing, and the names it owns.

Precedence is: an explicit argument, then an ``AIRFLOW_LAB_*`` variable, then the
default. Each test starts from an environment without any ``AIRFLOW_LAB_*`` variable.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from airflow_lab.errors import SettingError
from airflow_lab.settings import (
    DAG_ID,
    DEFAULT_PORTS,
    ENV_PREFIX,
    PORT_OFFSET_ENV,
    PROJECT_ROOT,
    SERVICE_PORTS,
    Settings,
    env_var,
    load_settings,
)

pytestmark = pytest.mark.usefixtures("clean_lab_env")


def test_defaults_without_any_variable() -> None:
    s = load_settings()
    assert s == Settings()
    assert s.home == PROJECT_ROOT / ".lab"
    assert s.host == "127.0.0.1"
    assert {name: getattr(s, name) for name in DEFAULT_PORTS} == DEFAULT_PORTS
    assert s.embedded_postgres and s.database_url == ""


def test_an_env_var_beats_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_LAB_API_PORT", "18123")
    assert load_settings().api_port == 18123


def test_an_explicit_argument_beats_the_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_LAB_API_PORT", "18123")
    monkeypatch.setenv("AIRFLOW_LAB_COLLECTION", "from-env")
    s = load_settings(api_port=18999, collection="explicit")
    assert (s.api_port, s.collection) == (18999, "explicit")


def test_an_empty_env_var_means_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_LAB_API_PORT", "")
    monkeypatch.setenv("AIRFLOW_LAB_HOST", "")
    s = load_settings()
    assert (s.api_port, s.host) == (DEFAULT_PORTS["api_port"], "127.0.0.1")


def test_the_port_offset_shifts_every_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PORT_OFFSET_ENV, "100")
    s = load_settings()
    assert {name: getattr(s, name) for name in DEFAULT_PORTS} == {
        name: port + 100 for name, port in DEFAULT_PORTS.items()
    }
    assert s.api_url == f"http://127.0.0.1:{DEFAULT_PORTS['api_port'] + 100}"


def test_a_port_of_its_own_beats_the_offset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PORT_OFFSET_ENV, "100")
    monkeypatch.setenv("AIRFLOW_LAB_NFT_API_PORT", "18190")
    s = load_settings()
    assert s.nft_api_port == 18190
    assert s.api_port == DEFAULT_PORTS["api_port"] + 100
    assert s.postgres_port == DEFAULT_PORTS["postgres_port"] + 100


@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(Settings)])
def test_every_setting_is_read_from_its_env_var(
    field: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """env_var() names the variable load_settings() reads, for every field."""
    default = getattr(Settings(), field)
    if isinstance(default, Path):
        raw, expected = str(tmp_path / field), tmp_path / field
    elif isinstance(default, int):
        raw, expected = str(default + 7), default + 7
    else:
        raw, expected = f"value-of-{field}", f"value-of-{field}"
    monkeypatch.setenv(env_var(field), raw)
    value = getattr(load_settings(), field)
    assert value == expected
    assert type(value) is type(default)


def test_env_var_names() -> None:
    assert env_var("api_port") == "AIRFLOW_LAB_API_PORT"
    assert env_var("home") == "AIRFLOW_LAB_HOME"
    assert env_var("port_offset") == PORT_OFFSET_ENV
    assert all(env_var(f.name).startswith(ENV_PREFIX) for f in dataclasses.fields(Settings))


def test_ints_are_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_LAB_PARALLELISM", "7")
    monkeypatch.setenv("AIRFLOW_LAB_CELERY_CONCURRENCY", " 3 ")
    s = load_settings()
    assert (s.parallelism, s.celery_concurrency) == (7, 3)


def test_a_port_that_is_no_number_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_LAB_API_PORT", "eighty")
    with pytest.raises(SettingError, match="AIRFLOW_LAB_API_PORT='eighty' is not a whole number"):
        load_settings()


def test_paths_are_expanded_and_made_absolute(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AIRFLOW_LAB_HOME", "~/my-lab")
    monkeypatch.setenv("AIRFLOW_LAB_DAGS_FOLDER", "relative/dags")
    s = load_settings()
    assert s.home == (tmp_path / "user" / "my-lab").resolve()
    assert s.dags_folder == (tmp_path / "relative" / "dags").resolve()
    assert s.home.is_absolute() and s.dags_folder.is_absolute()


def test_an_external_database_leaves_out_the_embedded_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AIRFLOW_LAB_DATABASE_URL", "postgresql://u:p@db.example:5432/")
    s = load_settings()
    assert not s.embedded_postgres
    assert "postgres" not in s.ports()
    assert set(load_settings(database_url="").ports()) == {"api-server", "nft-api", "postgres"}


def test_port_of_each_service() -> None:
    s = load_settings(api_port=18001, broker_port=18002, flower_port=18003)
    assert s.port_of("api-server") == 18001
    assert s.port_of("broker") == 18002
    assert s.port_of("flower") == 18003
    for service, name in SERVICE_PORTS.items():
        assert s.port_of(service) == getattr(s, name)
    assert s.port_of("scheduler") is None
    assert s.port_of("no-such-service") is None


def test_urls_follow_host_and_ports() -> None:
    s = Settings(host="10.1.2.3", api_port=1, nft_api_port=2, jupyter_port=3, flower_port=4)
    assert (s.api_url, s.nft_api_url, s.jupyter_url, s.flower_url) == (
        "http://10.1.2.3:1",
        "http://10.1.2.3:2",
        "http://10.1.2.3:3",
        "http://10.1.2.3:4",
    )


def _derived_paths(s: Settings) -> dict[str, Path]:
    return {
        name: getattr(s, name)
        for name, attr in vars(Settings).items()
        if isinstance(attr, property) and isinstance(getattr(s, name), Path)
    }


def test_every_derived_path_lives_under_home(tmp_path: Path) -> None:
    s = load_settings(home=tmp_path / "lab")
    paths = _derived_paths(s)
    # the run-folder files the issue named, among others
    assert {"supervisor_pidfile", "lock_file", "profile_file", "migrated_marker"} <= set(paths)
    outside = {n: p for n, p in paths.items() if not p.is_relative_to(s.home)}
    assert not outside, f"state outside home: {outside}"
    assert len(set(paths.values())) == len(paths), "two names for one path"


def test_dag_id_is_the_one_the_dag_file_declares() -> None:
    assert Settings().dag_id == DAG_ID == "nft-pipeline"
    source = (PROJECT_ROOT / "dags" / "nft_pipeline.py").read_text()
    assert re.search(rf"dag_id\s*=\s*[\"']{DAG_ID}[\"']", source)
