"""Checkers for notebook 02 · Architecture.

Each answer is put to the running Airflow: a command is run with ``--help``, a
table is queried in the metastore, a setting is read with ``airflow config``.
"""

from __future__ import annotations

from typing import Any

from airflow_lab.checks import Exercise, Mistake, observe

exercise_1 = Exercise(
    "exercise_1",
    answer=str,
    hints=(
        "Airflow 3 split DAG parsing out of the scheduler into a component of its own "
        "(section 1's table of components, section 2's processes)",
        "the component's `airflow` subcommand has the same name as its process in section 2",
    ),
    observe=observe.command_help,
    right=lambda seen: seen["rc"] == 0 and seen["command"] == "dag-processor",
    mistakes=[
        Mistake(
            lambda seen: seen["rc"] != 0,
            "`airflow {command} --help` failed: {said}",
            fix="name an `airflow` subcommand that starts a component",
        ),
        Mistake(
            lambda seen: seen["command"] in ("scheduler", "webserver", "api-server"),
            "`airflow {command}` starts a component ({purpose!r}), but in Airflow 3 it no longer "
            "parses DAG files",
            fix="which process of section 2 reads the DAG files?",
        ),
    ],
    explain="`airflow {command}` is a command ({purpose!r}), but not the one that parses DAG files",
    success="`airflow {command}`: {purpose}; required since Airflow 3.0",
)


def _table_seen(answer: str, lab: Any) -> dict:
    table = answer.strip().strip('"').lower()
    columns = lab.sql(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s",
        (table,),
        database="airflow",
    )
    names = set(columns.column_name)
    kinds: list[str] = []
    if "latest_heartbeat" in names and "job_type" in names:
        rows = lab.sql(
            f'SELECT DISTINCT job_type FROM "{table}" WHERE state = %s',
            ("running",),
            database="airflow",
        )
        kinds = sorted(rows.job_type)
    return {
        "table": table,
        "exists": bool(names),
        "heartbeats": "latest_heartbeat" in names,
        "kinds": kinds,
    }


exercise_2 = Exercise(
    "exercise_2",
    answer=str,
    hints=(
        "each component that heartbeats has a row in one metastore table (section 4)",
        "the table is named after what Airflow calls one run of a component; its heartbeat "
        "column is latest_heartbeat",
    ),
    observe=_table_seen,
    right=lambda seen: seen["heartbeats"] and bool(seen["kinds"]),
    mistakes=[
        Mistake(
            lambda seen: not seen["exists"],
            "the metastore has no table {table!r}",
            fix="section 4 lists the tables it reads",
        ),
    ],
    explain="{table} exists, but it holds no heartbeats of the running components",
    success="{table}: running components heartbeat into it, one row each: {kinds}",
)


def _parallelism_seen(answer: int, lab: Any) -> dict:
    result = lab.airflow("config", "get-value", "core", "parallelism", timeout=120)
    return {"answer": answer, "parallelism": int(result.output.strip().splitlines()[-1])}


exercise_3 = Exercise(
    "exercise_3",
    answer=int,
    hints=(
        "one setting of the `[core]` section caps how many task instances run at once in the "
        "whole installation (section 5, the executor)",
        "ask Airflow for that option's value with `airflow config get-value`",
    ),
    observe=_parallelism_seen,
    right=lambda seen: seen["answer"] == seen["parallelism"],
    mistakes=[
        Mistake(
            lambda seen: seen["answer"] == 32,
            "32 is Airflow's default for that cap; this stack configures its own",
            fix="read the value this stack's Airflow uses",
        ),
        Mistake(
            lambda seen: seen["answer"] == 16,
            "16 is the default cap per DAG (`max_active_tasks_per_dag`), not the installation's",
        ),
    ],
    explain="{answer} is not the [core] option this stack's Airflow reports",
    success="[core] parallelism = {parallelism}: at most that many task instances run at once",
)
