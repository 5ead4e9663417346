"""airflow_lab.stack.airflow_config: the environment every Airflow process of the lab gets,
and ``airflow.env``, the file a learner sources to use the ``airflow`` CLI on the lab."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from airflow_lab.credentials import Credentials
from airflow_lab.settings import Settings
from airflow_lab.stack.airflow_config import airflow_env, celery_env, venv_bin, write_env_file

CREDS = Credentials(
    admin_password="admin-pw",
    postgres_password="pg-pw",
    airflow_db_password="airflow-pw",
    nft_db_password="nft-pw",
    nft_api_key="nft-key",
    jwt_secret="jwt-secret",
    api_secret_key="api-secret",
    fernet_key="fernet-key",
    jupyter_token="jupyter-token",
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        home=tmp_path / "lab",
        api_port=18123,
        postgres_port=15433,
        nft_api_port=18190,
        broker_port=16380,
        flower_port=15556,
        parallelism=3,
        celery_concurrency=5,
    )


@pytest.mark.parametrize("executor", ["LocalExecutor", "CeleryExecutor"])
def test_the_api_server_is_reached_on_its_own_port_and_host(
    settings: Settings, executor: str
) -> None:
    env = airflow_env(settings, CREDS, executor=executor)
    assert env["AIRFLOW__CORE__EXECUTOR"] == executor
    # Airflow 3's task runner calls localhost:8080 unless told: every task would fail.
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:18123/execution/"
    assert env["AIRFLOW__API__BASE_URL"] == "http://127.0.0.1:18123"
    assert env["AIRFLOW__API__PORT"] == "18123"
    # the api-server binds every address unless told
    assert env["AIRFLOW__API__HOST"] == "127.0.0.1"
    assert all(isinstance(v, str) for v in env.values()), "a process environment holds strings"


@pytest.mark.parametrize("port", [8080, 18999])
def test_the_execution_api_url_follows_the_api_port(settings: Settings, port: int) -> None:
    env = airflow_env(Settings(home=settings.home, api_port=port), CREDS)
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == f"http://127.0.0.1:{port}/execution/"


def test_local_executor_has_no_celery_keys(settings: Settings) -> None:
    env = airflow_env(settings, CREDS)
    assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert not [k for k in env if k.startswith("AIRFLOW__CELERY__")]
    assert env["AIRFLOW__CORE__PARALLELISM"] == "3"


def test_celery_executor_gets_the_broker_and_the_settings_concurrency(settings: Settings) -> None:
    env = airflow_env(settings, CREDS, executor="CeleryExecutor")
    assert env["AIRFLOW__CELERY__BROKER_URL"] == "redis://127.0.0.1:16380/0"
    assert env["AIRFLOW__CELERY__WORKER_CONCURRENCY"] == "5"
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"] == (
        "db+postgresql+psycopg2://airflow:airflow-pw@127.0.0.1:15433/airflow"
    )
    assert env["AIRFLOW__CELERY__FLOWER_PORT"] == "15556"
    assert env["AIRFLOW__CELERY__FLOWER_HOST"] == "127.0.0.1"
    assert celery_env(settings, CREDS).items() <= env.items()


def test_an_external_broker_is_used_as_given(settings: Settings) -> None:
    external = Settings(home=settings.home, broker_url="redis://broker.example:6390/2")
    env = airflow_env(external, CREDS, executor="CeleryExecutor")
    assert env["AIRFLOW__CELERY__BROKER_URL"] == "redis://broker.example:6390/2"


def test_paths_and_secrets(settings: Settings) -> None:
    env = airflow_env(settings, CREDS)
    assert env["AIRFLOW_HOME"] == str(settings.airflow_home)
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == str(settings.dags_folder)
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    assert env["AIRFLOW__CORE__FERNET_KEY"] == "fernet-key"
    assert env["AIRFLOW__API_AUTH__JWT_SECRET"] == "jwt-secret"
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"] == str(settings.passwords_file)
    bundles = json.loads(env["AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST"])
    assert [b["kwargs"]["path"] for b in bundles] == [
        str(settings.dags_folder),
        str(settings.learner_dags),
    ]
    folders = [Path(p) for p in env["PYTHONPATH"].split(os.pathsep)]
    assert all(f.is_dir() for f in folders)
    assert any((f / "airflow_local_settings.py").is_file() for f in folders)


def test_the_embedded_metastore_url(settings: Settings) -> None:
    env = airflow_env(settings, CREDS)
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == (
        "postgresql+psycopg2://airflow:airflow-pw@127.0.0.1:15433/airflow"
    )


def test_the_two_connections(settings: Settings) -> None:
    env = airflow_env(settings, CREDS)
    assert json.loads(env["AIRFLOW_CONN_DB_POSTGRE"]) == {
        "conn_type": "postgres",
        "host": "127.0.0.1",
        "port": 15433,
        "login": "nft",
        "password": "nft-pw",
        "schema": "nft",
    }
    assert json.loads(env["AIRFLOW_CONN_OPENSEA_API"]) == {
        "conn_type": "http",
        "host": "127.0.0.1",
        "port": 18190,
        "schema": "http",
        "extra": {"x-api-key": "nft-key"},
    }


@pytest.mark.parametrize(
    "url", ["postgresql://lab:s3cret@db.example:6543/", "postgresql://lab:s3cret@db.example:6543"]
)
def test_an_external_database(settings: Settings, url: str) -> None:
    env = airflow_env(Settings(home=settings.home, database_url=url), CREDS)
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == (
        "postgresql+psycopg2://lab:s3cret@db.example:6543/airflow"
    )
    conn = json.loads(env["AIRFLOW_CONN_DB_POSTGRE"])
    assert (conn["host"], conn["port"], conn["login"], conn["password"], conn["schema"]) == (
        "db.example",
        6543,
        "lab",
        "s3cret",
        "nft",
    )


def test_an_external_database_password_with_url_escapes(settings: Settings) -> None:
    """A password with '@' or '/' must be %-escaped in the URL; the connection gets it plain."""
    url = "postgresql://lab%2Bme:p%40ss%2Fword@db.example/"
    conn = json.loads(
        airflow_env(Settings(home=settings.home, database_url=url), CREDS)[
            "AIRFLOW_CONN_DB_POSTGRE"
        ]
    )
    assert (conn["login"], conn["password"], conn["port"]) == ("lab+me", "p@ss/word", 5432)


def test_the_env_file_is_private_and_exports_everything(settings: Settings) -> None:
    env = airflow_env(settings, CREDS)
    path = write_env_file(settings, env)
    assert path == settings.env_file
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = path.read_text().splitlines()
    assert all(line.startswith("export ") for line in lines)
    assert len(lines) == len(env) + 1
    assert lines[-1].startswith("export PATH=") and str(venv_bin()) in lines[-1]


def test_sourcing_the_env_file_gives_the_lab_airflow(settings: Settings, tmp_path: Path) -> None:
    """In a shell whose PATH does not know the venv, ``source`` makes ``airflow`` the lab's."""
    env = airflow_env(settings, CREDS)
    path = write_env_file(settings, env)
    script = (
        f"source {path} && command -v airflow && printenv AIRFLOW__CORE__EXECUTION_API_SERVER_URL"
        " && printenv AIRFLOW_CONN_OPENSEA_API"
    )
    result = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", script],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    airflow, execution_url, conn = result.stdout.splitlines()
    assert Path(airflow) == venv_bin() / "airflow"
    assert execution_url == "http://127.0.0.1:18123/execution/"
    assert json.loads(conn) == json.loads(env["AIRFLOW_CONN_OPENSEA_API"])  # quoting survived
