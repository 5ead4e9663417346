"""Every DAG under dags/ parses on Airflow 3.3, and nft-pipeline has the seed's shape.

Parsing needs no database: ``DagBag`` only imports the files. In Airflow 3.3 it
lives in ``airflow.dag_processing.dagbag`` (``airflow.models.dagbag.DagBag`` is a
deprecated shim) and has no ``include_examples`` argument any more.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DAGS_FOLDER = PROJECT_ROOT / "dags"
SEED_ORDER = ["creating_table", "is_api_available", "extract_nft", "process_nft", "store_nft"]
DAG_FILES = sorted(DAGS_FOLDER.glob("*.py"))


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    dont_write_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        return DagBag(dag_folder=str(DAGS_FOLDER))
    finally:
        sys.dont_write_bytecode = dont_write_bytecode


@pytest.fixture(scope="module")
def dag(dagbag):
    return dagbag.dags["nft-pipeline"]


def test_dags_folder_has_dag_files():
    assert DAGS_FOLDER / "nft_pipeline.py" in DAG_FILES


def test_every_dag_file_imports_without_errors_or_warnings(dagbag):
    assert dagbag.import_errors == {}
    assert dagbag.captured_warnings == {}
    assert "nft-pipeline" in dagbag.dags


def test_nft_pipeline_has_the_seeds_five_tasks_in_order(dag):
    assert sorted(dag.task_ids) == sorted(SEED_ORDER)
    assert [t.task_id for t in dag.topological_sort()] == SEED_ORDER
    for upstream, downstream in pairwise(SEED_ORDER):
        assert dag.get_task(upstream).downstream_task_ids == {downstream}
        assert dag.get_task(downstream).upstream_task_ids == {upstream}
    assert dag.get_task(SEED_ORDER[0]).upstream_task_ids == set()
    assert dag.get_task(SEED_ORDER[-1]).downstream_task_ids == set()


def test_nft_pipeline_has_no_cycles(dag):
    dag.check_cycle()  # raises AirflowDagCycleException on a cycle


def test_nft_pipeline_schedule_and_dates(dag):
    assert dag.schedule == "@daily"
    assert dag.catchup is False
    assert set(dag.tags) == {"nft"}
    assert dag.start_date == datetime(2021, 1, 1, tzinfo=UTC)
    assert dag.start_date.utcoffset() == timedelta(0)


def test_nft_pipeline_documents_itself(dag, nft_pipeline):
    assert dag.doc_md == nft_pipeline.__doc__
    assert "Bad input" in dag.doc_md


def test_nft_pipeline_params_are_validated(dag):
    from airflow.sdk.exceptions import ParamValidationError

    collection, limit = dag.params.get_param("collection"), dag.params.get_param("limit")
    assert (collection.value, limit.value) == ("doodles-official", 20)
    assert limit.resolve(200) == 200
    for bad in (0, 201, "20; DROP"):
        with pytest.raises(ParamValidationError):
            limit.resolve(bad)
    for bad in ("../admin", "a/b", "x?limit=1", ""):
        with pytest.raises(ParamValidationError):
            collection.resolve(bad)


def test_nft_pipeline_uses_the_seeds_connections(dag):
    assert dag.get_task("creating_table").conn_id == "db_postgre"
    assert dag.get_task("store_nft").conn_id == "db_postgre"
    assert dag.get_task("is_api_available").http_conn_id == "opensea_api"
    assert dag.get_task("extract_nft").http_conn_id == "opensea_api"


def test_no_header_or_key_is_set_in_the_dag(dag):
    # The key comes from the opensea_api connection's extra, nowhere else.
    for task_id in ("is_api_available", "extract_nft"):
        assert dag.get_task(task_id).headers == {}


def test_http_tasks_wait_and_retry_as_documented(dag):
    sensor = dag.get_task("is_api_available")
    assert (sensor.poke_interval, sensor.timeout, sensor.mode) == (2, 60, "poke")
    assert sensor.extra_options == {"check_response": False, "timeout": 10}
    assert sensor.request_params == {"limit": 1}
    extract = dag.get_task("extract_nft")
    assert extract.method == "GET"
    assert extract.extra_options == {"timeout": 10}
    assert extract.retries == 2
    assert extract.retry_delay == timedelta(seconds=3)
    assert extract.execution_timeout is not None


def test_nft_pipeline_serializes_for_the_scheduler(dag):
    from airflow.serialization.serialized_objects import DagSerialization

    data = DagSerialization.to_dict(dag)
    json.dumps(data)
    again = DagSerialization.from_dict(data)
    assert sorted(again.task_ids) == sorted(SEED_ORDER)


def test_ruff_air_rules_pass_on_dags():
    ruff = Path(sys.executable).with_name("ruff")
    for extra in ([], ["--preview"]):
        result = subprocess.run(
            [str(ruff), "check", "--no-cache", "--select", "AIR", *extra, str(DAGS_FOLDER)],
            capture_output=True,
            text=True,
            cwd=PROJECT_ROOT,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr


def _imported_modules(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None))
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.append(str(node.args[0].value))
    return names


@pytest.mark.parametrize("path", DAG_FILES, ids=lambda p: p.name)
def test_dag_files_import_only_airflow_pandas_and_stdlib(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots = {name.split(".")[0] for name in _imported_modules(tree)}
    assert "airflow_lab" not in roots, "DAG files must not import the kit's helper package"
    allowed = {"airflow", "pandas", "__future__"} | set(sys.stdlib_module_names)
    assert roots <= allowed, roots - allowed
    module_level = [
        name
        for node in _outside_functions(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in _imported_modules(node)
    ]
    assert "pandas" not in {n.split(".")[0] for n in module_level}, "import pandas inside tasks"


def _outside_functions(node: ast.AST):
    """The nodes that run at import time: everything except function and lambda bodies."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        yield child
        yield from _outside_functions(child)


CREDENTIAL_PATTERNS = {
    "URL with a password": re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@'\"]+:[^/\s@'\"]+@", re.I),
    "secret assigned a literal": re.compile(
        r"(api[_-]?key|apikey|secret|passw(or)?d|passwd|token|authorization)['\"]?\s*[:=]\s*"
        r"['\"][^'\"\s{}]{6,}['\"]",
        re.I,
    ),
    "bearer token": re.compile(r"bearer\s+[a-z0-9._~+/-]{16,}", re.I),
    "long hex key": re.compile(r"\b[0-9a-f]{32,}\b", re.I),
    "long opaque token": re.compile(r"\b[A-Za-z0-9+/_-]{40,}={0,2}"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
}


def find_credentials(text: str) -> list[str]:
    return [
        f"{what}: {match.group(0)[:40]!r}"
        for what, pattern in CREDENTIAL_PATTERNS.items()
        for match in pattern.finditer(text)
    ]


@pytest.mark.parametrize(
    "planted",
    [
        'conn = "postgresql://nft:hunter22@localhost:5432/nft"',
        'headers={"x-api-key": "0123456789abcdef0123456789abcdef"}',
        "API_KEY = 'sk_live_abcdefgh'",
        '"Authorization": "Bearer abcdefghijklmnopqrstuvwxyz"',
    ],
)
def test_the_credential_scan_finds_planted_secrets(planted):
    assert find_credentials(planted)


def test_no_credential_looking_strings_in_dags():
    files = [p for p in DAGS_FOLDER.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    found = {
        str(p.relative_to(PROJECT_ROOT)): hits
        for p in files
        if (hits := find_credentials(p.read_text(encoding="utf-8", errors="replace")))
    }
    assert found == {}
