"""Checkers for notebook 09 · Seed errata and migration to Airflow 3.

The right answers come from what is installed and running: the module is imported
(and must not warn), the installed ruff lints the seed's file, and the fixed SQL is
run against the lab's PostgreSQL.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

from airflow_lab.checks import exercise, expect, passed
from airflow_lab.settings import PROJECT_ROOT

SEED_FILE = PROJECT_ROOT / "notebooks" / "seed" / "nft_pipeline_seed.py"
KIT_PYTHON_OPERATOR = "airflow.providers.standard.operators.python"


def _module_path(answer: str) -> str:
    """Accept `X`, `X.PythonOperator` or `from X import PythonOperator`; return `X`."""
    text = answer.strip()
    if text.startswith("from "):
        text = text[len("from ") :].split(" import ")[0]
    text = text.strip()
    if text.endswith(".PythonOperator"):
        text = text[: -len(".PythonOperator")]
    return text


@exercise("the standard provider: airflow.providers.<provider>.operators.<module>")
def exercise_1(answer: Any, lab: Any = None) -> str:
    expect(
        isinstance(answer, str) and answer.strip(),
        f"answer a module path as a string, got {type(answer).__name__}",
        'e.g. answer = "airflow.something.python"',
    )
    module_path = _module_path(answer)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            operator = importlib.import_module(module_path).PythonOperator
        except (ImportError, AttributeError, ValueError):
            operator = None
    expect(
        operator is not None,
        f"`from {module_path} import PythonOperator` fails on the installed Airflow",
        "section 6 lists where PythonOperator lives in Airflow 3",
    )
    moved = [str(w.message) for w in caught if "deprecated" in str(w.message)]
    expect(
        not moved,
        f"`{module_path}` still imports on Airflow 3.3, but only through a deprecated shim: {moved[:1]}",
        "use the module the warning points to: the standard provider",
    )
    kit = importlib.import_module(KIT_PYTHON_OPERATOR).PythonOperator
    expect(
        operator is kit,
        f"`{module_path}.PythonOperator` is not the standard provider's PythonOperator",
        f"the kit's DAG imports it from {KIT_PYTHON_OPERATOR.rsplit('.', 2)[0]}...",
    )
    return passed(
        f"`from {module_path} import PythonOperator` is Airflow 3's home: the standard provider "
        "(apache-airflow-providers-standard), no deprecation warning"
    )


def ruff_findings() -> list[dict]:
    """The installed ruff's AIR findings on the seed's DAG, as ruff's JSON."""
    ruff = Path(sys.executable).parent / "ruff"
    proc = subprocess.run(
        [
            str(ruff),
            "check",
            "--select",
            "AIR",
            "--no-cache",
            "--output-format",
            "json",
            str(SEED_FILE.relative_to(PROJECT_ROOT)),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return json.loads(proc.stdout)


@exercise(
    "run `ruff check --select AIR` on notebooks/seed/nft_pipeline_seed.py and count (section 4)"
)
def exercise_2(answer: Any, lab: Any = None) -> str:
    expect(
        isinstance(answer, int) and not isinstance(answer, bool),
        f"answer a whole number, got {type(answer).__name__} {answer!r}",
        "e.g. answer = 3",
    )
    findings = ruff_findings()
    codes = sorted(f["code"] for f in findings)
    air3 = [c for c in codes if c.startswith("AIR3")]
    expect(
        not (answer == len(air3) and len(air3) != len(findings)),
        f"{answer} is the count for --select AIR3 (the migration rules) only",
        "--select AIR also runs the AIR0xx rules, e.g. the variable/task_id check",
    )
    expect(
        answer == len(findings),
        f"{answer} is not what the installed ruff reports",
        "count the lines of `ruff check --select AIR --output-format concise ...`, or len() of the JSON",
    )
    return passed(f"{len(findings)} findings: {', '.join(codes)}")


@exercise("PostgreSQL's keyword is spelled E-X-I-S-T-S; give the three words")
def exercise_3(answer: Any, lab: Any = None) -> str:
    expect(
        isinstance(answer, str) and answer.strip(),
        f"answer the words as a string, got {type(answer).__name__}",
        'e.g. answer = "IF NOT ..."',
    )
    import ast

    seed = SEED_FILE.read_text()
    sql = next(
        kw.value.value
        for node in ast.walk(ast.parse(seed))
        if isinstance(node, ast.Call)
        for kw in node.keywords
        if kw.arg == "sql" and isinstance(kw.value, ast.Constant)
    )
    statement = sql.replace("IF NOT EXIXTS", answer.strip()).replace(
        "CREATE TABLE", "CREATE TEMP TABLE"
    )
    try:
        lab.execute(f"{statement}; {statement}")
        error = None
    except Exception as exc:  # psycopg2 errors: syntax, or "relation already exists"
        error = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    expect(
        error is None,
        f"with {answer!r} the statement, run twice, fails: {error}",
        "the second run must skip a table that already exists",
    )
    return passed(
        f"`CREATE TABLE {answer.strip()} nfts (...)` runs twice without error: PostgreSQL creates the "
        "table once and only notes that it exists the second time"
    )
