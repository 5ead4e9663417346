"""Checkers for notebook 09 · Seed errata and migration to Airflow 3.

The hands-on exercises hand the learner's DAG to the live stack: Airflow parses
it (an import error with file:line, or the graph it holds), the installed ruff's
Airflow rules lint it, and for the rerun exercise two runs are triggered and the
rows they stored are read back from the lab's PostgreSQL. The quiz imports the
answer in this process and watches for Airflow's deprecation warning.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airflow_lab.checks import Exercise, Mistake, not_parsed, observe

DAG_IDS = {"exercise_1": "ex09_1_ported_seed", "exercise_2": "ex09_2_rerunnable_load"}
#: Exercise 1: the graph the ported snippet must keep.
SEED_EDGES = [("creating_table", "extract_nft"), ("extract_nft", "process_nft")]
#: Exercise 2: the table its DAG loads (in the ``nft`` database), and the two runs' names.
TABLE = "ex09_nfts"
NAMES = ("Synthetic Doodle #3", "Synthetic Doodle #3 (renamed)")
KIT_PYTHON_OPERATOR = "airflow.providers.standard.operators.python"


def ruff_air(source: str) -> list[str]:
    """The installed ruff's Airflow findings (``--select AIR --preview``) on a DAG's source."""
    ruff = Path(sys.executable).parent / "ruff"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "dag.py")
        path.write_text(source)
        proc = subprocess.run(
            [
                *(str(ruff), "check", "--isolated", "--select", "AIR", "--preview"),
                *("--no-cache", "--output-format", "json", str(path)),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    return [
        f"line {f['location']['row']}: {f['code']} {f['message'].split(';')[0]}"
        for f in json.loads(proc.stdout or "[]")
    ]


# ---- exercise 1: port a seed snippet so that Airflow 3.3 parses it ----
@dataclass
class Ported:
    parsed: observe.ParsedDag
    lint: list[str] = field(default_factory=list)

    @property
    def edges(self) -> list[tuple[str, str]]:
        return self.parsed.edges


def _observe_1(source: str, lab: Any) -> Ported:
    dag_id = DAG_IDS["exercise_1"]
    parsed = observe.parse_dag_file(lab, f"{dag_id}.py", source, dag_id)
    return Ported(parsed, ruff_air(source) if not parsed.import_error else [])


exercise_1 = Exercise(
    "exercise_1",
    answer=str,
    hints=(
        "section 3 peels the seed's import errors off one at a time, and the table in "
        "section 6 gives each Airflow 2 name's Airflow 3 name",
        "four things break: a removed Postgres operator (its replacement is the common SQL "
        "provider's operator, which takes conn_id), a removed HTTP operator, a removed DAG "
        "argument, and two operators that moved to the standard provider; ruff --select AIR "
        "names most of them",
    ),
    observe=_observe_1,
    right=lambda seen: not seen.parsed.import_error and seen.edges == SEED_EDGES and not seen.lint,
    mistakes=[
        *not_parsed(DAG_IDS["exercise_1"], lambda seen: seen.parsed),
        Mistake(
            lambda seen: seen.edges != SEED_EDGES,
            lambda seen: f"{seen.parsed.describe()}: the snippet's three tasks lost their order",
            fix="keep the tasks and their dependencies as they were",
        ),
        Mistake(
            lambda seen: bool(seen.lint),
            lambda seen: (
                f"Airflow parsed it ({seen.parsed.describe()}), but ruff's Airflow rules still "
                f"find names Airflow 3 deprecated: {'; '.join(seen.lint)}"
            ),
            fix="import each name from where Airflow 3 keeps it (section 6)",
        ),
    ],
    explain=lambda seen: seen.parsed.describe(),
    success=lambda seen: (
        f"{seen.parsed.describe()}; no import error, and ruff --select AIR --preview finds "
        "nothing left to migrate"
    ),
)


# ---- exercise 2: a load that a rerun does not break ----
@dataclass
class Reruns:
    parsed: observe.ParsedDag
    runs: list[observe.RunSeen] = field(default_factory=list)
    #: the name stored for token 3 after the runs (None: no row)
    stored: list[str] = field(default_factory=list)
    failure: str = ""

    def story(self) -> str:
        runs = "; ".join(f"run {i + 1}: {r.describe()}" for i, r in enumerate(self.runs))
        return f"{runs}. Rows for token 3 in {TABLE}: {self.stored}"


def _failure_line(lab: Any, run: observe.RunSeen) -> str:
    failed = [t for t, _, state in run.tries if state == "failed"]
    if not failed:
        return ""
    text = observe.task_log_tail(lab, run, failed[0], lines=80)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if "Error" in line or "error" in line]
    return f"{failed[0]}: {(errors or lines or [''])[-1][:200]}"


def _observe_2(source: str, lab: Any) -> Reruns:
    dag_id = DAG_IDS["exercise_2"]
    lab.execute(f"DROP TABLE IF EXISTS {TABLE}")  # every check starts from no table
    parsed = observe.parse_dag_file(lab, f"{dag_id}.py", source, dag_id)
    seen = Reruns(parsed)
    if parsed.import_error or parsed.missing:
        return seen
    for name in NAMES:  # the first run of a day, then a rerun that brings a new name
        run = observe.trigger_and_follow(lab, dag_id, conf={"name": name}, timeout=150)
        seen.runs.append(run)
        if run.state != "success":
            seen.failure = _failure_line(lab, run)
            break
    exists = lab.sql("SELECT to_regclass(%s) IS NOT NULL AS found", (TABLE,)).iloc[0]["found"]
    if exists:
        seen.stored = list(lab.sql(f"SELECT name FROM {TABLE} WHERE token_id = '3'")["name"])
    return seen


def _failed_in(seen: Reruns, number: int) -> bool:
    return len(seen.runs) == number and seen.runs[-1].state != "success"


exercise_2 = Exercise(
    "exercise_2",
    answer=str,
    hints=(
        "rows 1 and 5 of the table in section 5, proved in sections 5.1 and 5.4 (notebook 06e "
        "teaches the kit's load)",
        "two statements need a change: a misspelt keyword, and an INSERT that must turn into "
        "an update when the key is already there, taking the new run's values (PostgreSQL's "
        "ON CONFLICT clause, with EXCLUDED)",
    ),
    observe=_observe_2,
    right=lambda seen: (
        len(seen.runs) == 2
        and all(r.state == "success" for r in seen.runs)
        and seen.stored == [NAMES[1]]
    ),
    mistakes=[
        Mistake(
            lambda seen: bool(seen.parsed.import_error or seen.parsed.missing),
            lambda seen: seen.parsed.describe(),
            fix=f"keep dag_id={DAG_IDS['exercise_2']!r} and fix the file so that it imports",
        ),
        Mistake(
            lambda seen: _failed_in(seen, 1),
            lambda seen: f"the first run already failed, in {seen.failure}. {seen.story()}",
            fix="read the failed task's error: the first run of a day must work",
        ),
        Mistake(
            lambda seen: _failed_in(seen, 2),
            lambda seen: (
                f"the first run stored the row, the rerun failed, in {seen.failure}. {seen.story()}"
            ),
            fix="a second run of the same load must not trip over the primary key",
        ),
        Mistake(
            lambda seen: seen.stored == [NAMES[0]],
            lambda seen: (
                "both runs succeeded, but the rerun's new name was not stored: the row "
                f"still has the first run's. {seen.story()}"
            ),
            fix="on a conflict, update the row with the incoming values instead of skipping it",
        ),
    ],
    explain=lambda seen: seen.story(),
    success=lambda seen: f"both runs succeeded and token 3 holds the rerun's name: {seen.story()}",
)


# ---- exercise 3 (quiz): PythonOperator's Airflow 3 home ----
def _module_path(answer: str) -> str:
    """Accept `X`, `X.PythonOperator` or `from X import PythonOperator`; return `X`."""
    text = answer.strip()
    if text.startswith("from "):
        text = text[len("from ") :].split(" import ")[0]
    return text.strip().removesuffix(".PythonOperator")


def _import(answer: str, lab: Any) -> dict:
    module_path = _module_path(answer)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            operator = importlib.import_module(module_path).PythonOperator
        except (ImportError, AttributeError, ValueError, TypeError):
            operator = None
    kit = importlib.import_module(KIT_PYTHON_OPERATOR).PythonOperator
    deprecated = [
        str(w.message).split(" Please")[0] for w in caught if "deprecat" in str(w.message)
    ]
    return {
        "module": module_path,
        "imports": operator is not None,
        "deprecated": deprecated[:1],
        "provider": operator is kit,
    }


exercise_3 = Exercise(
    "exercise_3",
    answer=str,
    hints=(
        "section 6's table, or the message of ruff's AIR312 finding in section 4",
        "Airflow 3 moved the everyday operators out of core into a provider package named for "
        "being standard",
    ),
    observe=_import,
    right=lambda seen: seen["imports"] and seen["provider"] and not seen["deprecated"],
    mistakes=[
        Mistake(
            lambda seen: not seen["imports"],
            "`from {module} import PythonOperator` fails on the installed Airflow",
            fix="section 6 lists where PythonOperator lives in Airflow 3",
        ),
        Mistake(
            lambda seen: bool(seen["deprecated"]),
            "`{module}` still imports on Airflow 3.3, but only through a deprecated alias: "
            "{deprecated}",
            fix="use the module that the warning points to",
        ),
    ],
    explain="`{module}.PythonOperator` is not the standard provider's PythonOperator",
    needs_lab=False,
    success=(
        "`from {module} import PythonOperator` is Airflow 3's home: the standard provider "
        "(apache-airflow-providers-standard), no deprecation warning"
    ),
)
