"""Checkers for notebook 00 · Start here: the learner's first CLI command, REST call and setting.

Each answer is shown to Airflow itself: the command is run with the lab's
configuration, the path is requested from the api-server, the option is read with
``airflow config get-value``.
"""

from __future__ import annotations

from typing import Any

from airflow_lab.checks import Exercise, Mistake, quote
from airflow_lab.errors import ApiError


def _run_cli(answer: list, lab: Any) -> dict:
    args = [str(a) for a in answer]
    if args[:1] == ["airflow"]:
        args = args[1:]
    result = lab.airflow(*args, timeout=120)
    return {
        "args": args,
        "command": result.command,
        "rc": result.returncode,
        "output": result.output,
        "last": quote(result.tail(2)) or "(nothing)",
        "lists_dag": lab.settings.dag_id in result.output,
    }


exercise_1 = Exercise(
    "exercise_1",
    answer=list,
    hints=(
        "the `airflow` command line is grouped by the object it acts on, then a verb (notebook "
        "03's table of commands); run `lab.airflow('--help')` to see the groups",
        "the group is the object you want listed; its verb is the usual one for listing things "
        "(`lab.airflow('<group>', '--help')` shows the verbs)",
    ),
    observe=_run_cli,
    right=lambda seen: seen["rc"] == 0 and seen["lists_dag"],
    mistakes=[
        Mistake(
            lambda seen: seen["rc"] != 0,
            "`{command}` exited {rc}; Airflow said: {last}",
            fix="give the group and the verb as separate list items",
        ),
    ],
    explain="`{command}` ran, but its output does not list the pipeline's DAG: {last}",
    fix="you want the command that lists the DAGs Airflow parsed",
    success="`{command}` lists the DAGs Airflow parsed, nft-pipeline among them",
)


def _get_path(answer: str, lab: Any) -> dict:
    path = answer.strip()
    if "://" in path:
        path = "/" + path.split("://", 1)[1].split("/", 1)[-1]
    try:
        body = lab.api.get(path)
        status = 200
    except ApiError as e:
        body, status = {"detail": e.detail}, e.status
    return {
        "path": path,
        "status": status,
        "body": body,
        "detail": str(body.get("detail", ""))[:120] if isinstance(body, dict) else "",
        "is_the_dag": isinstance(body, dict) and body.get("dag_id") == lab.settings.dag_id,
        "keys": sorted(body)[:6] if isinstance(body, dict) else type(body).__name__,
    }


exercise_2 = Exercise(
    "exercise_2",
    answer=str,
    hints=(
        "REST API v2 paths name a collection, then one item of it (section 3: the path the "
        "notebook called to list the DAGs)",
        "one item of a collection is reached by appending its id to the collection's path",
    ),
    observe=_get_path,
    right=lambda seen: seen["status"] == 200 and seen["is_the_dag"],
    mistakes=[
        Mistake(
            lambda seen: seen["status"] == 404,
            "GET {path} answered 404: {detail}",
            fix="check the spelling of the collection and of the DAG id",
        ),
        Mistake(
            lambda seen: seen["status"] not in (200, 404),
            "GET {path} answered {status}: {detail}",
            fix="a path of the REST API starts with /api/v2/",
        ),
        Mistake(
            lambda seen: isinstance(seen["body"], dict) and "dags" in seen["body"],
            "GET {path} answered the whole list of DAGs, not the one DAG",
            fix="add the DAG's id to the path",
        ),
    ],
    explain="GET {path} answered 200, with fields {keys}: not the nft-pipeline DAG",
    success="GET {path} is the DAG's own resource, what the UI shows on the DAG's page",
)


def _config_option(answer: str, lab: Any) -> dict:
    key = answer.strip().strip("[]").split("]")[-1].strip()
    if " " in key:  # "core simple_auth_manager_users"
        key = key.split()[-1]
    result = lab.airflow("config", "get-value", "core", key, timeout=120)
    return {
        "key": key,
        "rc": result.returncode,
        "value": result.output.strip().splitlines()[-1] if result.output.strip() else "",
        "said": result.tail(1),
    }


exercise_3 = Exercise(
    "exercise_3",
    answer=str,
    hints=(
        "the UI's users come from the auth manager's own setting in the `[core]` section "
        "(section 3 on SimpleAuthManager)",
        "its name starts with the auth manager's name and ends with what it lists; "
        "`lab.airflow('config', 'list', '--section', 'core')` shows every [core] option",
    ),
    observe=_config_option,
    right=lambda seen: seen["rc"] == 0 and seen["value"].startswith("admin:"),
    mistakes=[
        Mistake(
            lambda seen: seen["rc"] != 0,
            "`airflow config get-value core {key}`: {said}",
            fix="the option exists in [core]; check its name",
        ),
        Mistake(
            lambda seen: "passwords" in seen["key"],
            "[core] {key} is where the passwords file lives, not who the users are",
            fix="you want the option that lists the users and their roles",
        ),
    ],
    explain="[core] {key} is {value!r}: not the list of users",
    success="[core] {key} = {value}: SimpleAuthManager's users, as user:role",
)
