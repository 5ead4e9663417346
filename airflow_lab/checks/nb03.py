"""Checkers for notebook 03 · Installation.

The checkers ask the installed Airflow, through the lab's ``airflow`` command:
an answer that names a command must pass ``airflow <answer> --help`` (exit 0),
and the executor is read with ``airflow config get-value core executor``.
"""

from __future__ import annotations

import re
from typing import Any

from airflow_lab.checks import exercise, expect, passed

#: Airflow 2 commands that Airflow 3 removed, and what replaced them.
REMOVED = {
    "db init": "db migrate",
    "webserver": "api-server",
    "users create": "(an auth manager; or install the FAB provider)",
}


def _command(answer: Any) -> str:
    """The answer as an ``airflow`` subcommand: words and dashes only, no leading 'airflow'."""
    expect(
        isinstance(answer, str),
        f"the answer should be a string, got {type(answer).__name__}",
        'e.g. "db check"',
    )
    command = " ".join(answer.split()).removeprefix("airflow ").strip()
    expect(
        re.fullmatch(r"[a-z][a-z-]*( [a-z][a-z-]*)?", command) is not None,
        f"{answer!r} does not look like an airflow subcommand (one or two words)",
        'write it without options, e.g. "db check"',
    )
    return command


def _help_exit_code(lab: Any, command: str) -> int:
    """``airflow <command> --help``: 0 when the command exists in this Airflow."""
    return lab.airflow(*command.split(), "--help", timeout=120).returncode


@exercise("the choices in the error of `airflow db init` include its replacement")
def exercise_1(answer: Any, lab: Any = None) -> str:
    command = _command(answer)
    expect(
        command not in REMOVED,
        f"`airflow {command}` is the Airflow 2 form: Airflow 3.3 removed it",
        "look at the list of choices in the error message of section 4",
    )
    expect(
        "migrate" in command,
        f"`airflow {command}` is not what creates and upgrades the metastore's tables",
        "section 4: the command that creates the schema or upgrades it",
    )
    code = _help_exit_code(lab, command)
    expect(
        code == 0,
        f"`airflow {command} --help` exited {code}: this Airflow has no such command",
        "it is two words: the group `db`, then the command",
    )
    return passed(
        f"`airflow {command}` creates the schema on an empty database and upgrades an old one"
    )


@exercise(
    "`airflow info --anonymize` has an `executor` line; or airflow config get-value core executor"
)
def exercise_2(answer: Any, lab: Any = None) -> str:
    expect(isinstance(answer, str), f"the answer should be a string, got {type(answer).__name__}")
    given = answer.strip()
    expect(
        given != "SequentialExecutor",
        "SequentialExecutor was Airflow 2's default with SQLite; Airflow 3 removed it",
        "read the executor line of `airflow info --anonymize`",
    )
    result = lab.airflow("config", "get-value", "core", "executor", timeout=120)
    actual = result.output.strip().splitlines()[-1].strip()
    expect(
        given.lower() == actual.lower(),
        f"{given!r} is not the executor this lab runs",
        "airflow config get-value core executor",
    )
    expect(given == actual, f"almost: the name is spelled {actual!r}", "match the capitals")
    return passed(f"{actual}: tasks run as local processes, started by the scheduler's workers")


@exercise("the error of `airflow webserver` names the command to use instead")
def exercise_3(answer: Any, lab: Any = None) -> str:
    command = _command(answer)
    expect(
        command != "webserver",
        "`airflow webserver` is the Airflow 2 command: Airflow 3.3 removed it",
        "section 5 shows the error, which names the replacement",
    )
    expect(
        command != "standalone",
        "`airflow standalone` does start a UI, but together with everything else: name the "
        "command that starts the UI alone",
        "section 5",
    )
    expect(
        command == "api-server",
        f"`airflow {command}` does not start the UI",
        "the component that serves the UI, the REST API and the execution API",
    )
    code = _help_exit_code(lab, command)
    expect(code == 0, f"`airflow {command} --help` exited {code}", "check the spelling")
    return passed("`airflow api-server` serves the UI, the REST API /api/v2 and the execution API")
