"""Checkers for notebook 03 · Installation.

The checkers put each answer to the installed Airflow, through the lab's
``airflow`` command: a command must pass ``airflow <answer> --help``, and the
executor is what ``airflow config get-value core executor`` reports.
"""

from __future__ import annotations

from typing import Any

from airflow_lab.checks import Exercise, Mistake, observe

exercise_1 = Exercise(
    "exercise_1",
    answer=str,
    hints=(
        "Airflow 3 removed the 2.x command that created the metastore; section 4 runs it, and "
        "its error lists the `db` commands that exist",
        "the replacement both creates an empty schema and upgrades an old one",
    ),
    observe=observe.command_help,
    right=lambda seen: seen["rc"] == 0 and seen["command"] == "db migrate",
    mistakes=[
        Mistake(
            lambda seen: seen["command"] == "db init",
            "`airflow db init` is the Airflow 2 form: Airflow 3.3 refuses it with an error "
            "(section 4 shows it)",
            fix="read the choices that error lists",
        ),
        Mistake(
            lambda seen: seen["rc"] != 0,
            "`airflow {command} --help` failed: {said}",
            fix="give the group `db` and one of its commands",
        ),
    ],
    explain="`airflow {command}` exists ({purpose!r}), but it does not create the schema",
    success="`airflow {command}`: {purpose}",
)


def _executor_seen(answer: str, lab: Any) -> dict:
    result = lab.airflow("config", "get-value", "core", "executor", timeout=120)
    actual = result.output.strip().splitlines()[-1].strip()
    return {"given": answer.strip(), "actual": actual, "same": answer.strip() == actual}


exercise_2 = Exercise(
    "exercise_2",
    answer=str,
    hints=(
        "the executor is one option of Airflow's configuration; section 3's `airflow info` "
        "prints it among the paths and providers",
        "`airflow config get-value` reads one option of one section",
    ),
    observe=_executor_seen,
    right=lambda seen: seen["same"],
    mistakes=[
        Mistake(
            lambda seen: seen["given"] == "SequentialExecutor",
            "SequentialExecutor was Airflow 2's default with SQLite; Airflow 3 removed it",
            fix="ask this stack's Airflow instead of remembering a default",
        ),
        Mistake(
            lambda seen: seen["given"].lower() == seen["actual"].lower() and not seen["same"],
            "almost: Airflow spells the name with other capitals",
            fix="copy it as Airflow prints it",
        ),
    ],
    explain="{given!r} is not the executor this stack's Airflow reports",
    success="{actual}: tasks run as local processes, started by the scheduler's workers",
)


exercise_3 = Exercise(
    "exercise_3",
    answer=str,
    hints=(
        "in Airflow 3 one component serves the UI, the REST API and the execution API; "
        "section 5 runs the seed's command and shows the error",
        "that error names the replacement",
    ),
    observe=observe.command_help,
    right=lambda seen: seen["rc"] == 0 and seen["command"] == "api-server",
    mistakes=[
        Mistake(
            lambda seen: seen["command"] == "webserver",
            "`airflow webserver` is the Airflow 2 command: Airflow 3.3 refuses it",
            fix="the error it gives (section 5) names what to run instead",
        ),
        Mistake(
            lambda seen: seen["command"] == "standalone",
            "`airflow standalone` starts a UI together with every other component",
            fix="name the command that starts the UI alone",
        ),
        Mistake(
            lambda seen: seen["rc"] != 0,
            "`airflow {command} --help` failed: {said}",
        ),
    ],
    explain="`airflow {command}` ({purpose!r}) does not start the UI",
    success="`airflow {command}`: {purpose}",
)
