"""Checkers for notebook 06a · Connections and ``creating_table``.

Exercise 1 stores the learner's connection in the metastore (as the UI's form
does) and runs a task on it: the checker reads the run's state, the log and the
database the task reached. Exercise 2 runs the learner's ``airflow`` command and
reads the task instance it left in the run it was meant for. Exercises 3 and 4
are quizzes on Airflow's rules for connections, the first one shown live.
"""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

from airflow_lab.checks import Exercise, Mistake, observe
from airflow_lab.errors import ApiError

#: Airflow's prefix for connections in environment variables.
CONN_ENV_PREFIX = "AIRFLOW_CONN_"

# ---- the DAG exercises 1 and 3 run: which database does a connection reach? ----
ASK_FILE = "ex06a_which_database.py"
ASK_DAG = "ex06a_which_database"
ASK_SOURCE = '''"""ex06a: ask connections which database they reach (notebook 06a, exercises 1 and 3)."""
from __future__ import annotations

from datetime import UTC, datetime

from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.sdk import DAG

ASK = "SELECT current_database() || ' on port ' || inet_server_port()"

with DAG(
    dag_id="ex06a_which_database",
    schedule=None,
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["lab", "exercise"],
):
    SQLExecuteQueryOperator(task_id="ask_ex06a_1_db", conn_id="ex06a_1_db", sql=ASK)
    SQLExecuteQueryOperator(task_id="ask_db_postgre", conn_id="db_postgre", sql=ASK)
'''


def delete_connection(lab: Any, conn_id: str) -> None:
    """``DELETE /api/v2/connections/{conn_id}``; a missing one is fine."""
    try:
        lab.api.request("DELETE", f"/api/v2/connections/{conn_id}")
    except ApiError as e:
        if e.status != 404:
            raise


def ask_databases(lab: Any) -> dict:
    """Run the DAG once; per task: its state, the database it reached, its log's end."""
    if not lab.api.dag_exists(ASK_DAG) or not lab.dags.path(ASK_FILE).exists():
        parsed = observe.parse_dag_file(lab, ASK_FILE, ASK_SOURCE, ASK_DAG)
        if parsed.import_error or parsed.missing:
            raise AssertionError(f"the checker's own DAG did not parse: {parsed.describe()}")
    run = observe.trigger_and_follow(lab, ASK_DAG)
    answers = {}
    for task_id in ("ask_ex06a_1_db", "ask_db_postgre"):
        states = run.tries_of(task_id)
        state = states[-1] if states else None
        reached = None
        if state == "success":
            value = lab.api.xcom(ASK_DAG, run.run_id, task_id)
            reached = _first_cell(value)
        log = ""
        if state != "success":
            tail = observe.task_log_tail(lab, run, task_id, 12).splitlines()
            log = "\n".join([line for line in tail if not line.startswith("::")][-3:])
        answers[task_id] = {"state": state, "reached": reached, "log": log}
    return answers


def _first_cell(value: Any) -> str:
    """``nft on port 7433`` out of the query's result, however the XCom nests it."""
    found = re.search(r"(\w+) on port (\d+)", str(value))
    return found.group(0) if found else str(value)


# ---- exercise 1: a connection of your own, in the metastore ----
EX1_CONN = "ex06a_1_db"


def _store_and_ask(answer: dict, lab: Any) -> dict:
    delete_connection(lab, EX1_CONN)
    body = {k: v for k, v in answer.items() if k not in ("connection_id", "conn_id")}
    if isinstance(body.get("extra"), dict):
        body["extra"] = json.dumps(body["extra"])
    seen: dict = {"refused": None}
    try:
        lab.api.request("POST", "/api/v2/connections", json={"connection_id": EX1_CONN, **body})
    except ApiError as e:
        seen["refused"] = f"{e.status}: {e.detail}"
        return seen
    seen.update(ask_databases(lab)["ask_ex06a_1_db"])
    return seen


exercise_1 = Exercise(
    "exercise_1",
    answer=dict,
    hints=(
        "a connection's fields (section 1's table); section 1.4 shows the REST body the UI's "
        "form sends, and section 1.1 where the lab keeps the nft database's address and login",
        "a PostgreSQL connection: its type, the server's host and port, the user and password, "
        "and in `schema` the database name (not a PostgreSQL schema such as public)",
    ),
    observe=_store_and_ask,
    right=lambda seen: seen.get("state") == "success" and str(seen["reached"]).startswith("nft on"),
    mistakes=[
        Mistake(
            lambda seen: seen["refused"],
            "POST /api/v2/connections refused the connection: {refused}",
            fix="use the field names of the REST body in section 1.4",
        ),
        Mistake(
            lambda seen: seen.get("state") != "success",
            lambda seen: (
                f"the task on {EX1_CONN} ended {seen.get('state')}; its log ends:\n"
                f"{seen.get('log')}"
            ),
            fix="compare each field with section 1's table; the log names the one that failed",
        ),
    ],
    explain="the task succeeded but reached the database {reached}",
    fix="for a PostgreSQL connection, `schema` names the database",
    success=f"Airflow stored {EX1_CONN} in the metastore and the task reached {{reached}}",
)

# ---- exercise 2: run one task inside an existing DagRun ----
EX2_RUN = "ex06a_2_run"
EX2_TASK = "creating_table"


def _run_command(answer: str, lab: Any) -> dict:
    """Make the run ``ex06a_2_run`` afresh, run the learner's command, read the TI in it."""
    dag_id = lab.settings.dag_id
    _delete_run(lab, dag_id, EX2_RUN)  # left by an interrupted check
    lab.runs.wait_until_idle(dag_id)
    lab.api.set_paused(dag_id, True)  # the scheduler must leave the run alone
    lab.api.trigger(dag_id, None, None, run_id=EX2_RUN)
    try:
        return _run_in(lab, dag_id, answer)
    finally:
        _delete_run(lab, dag_id, EX2_RUN)  # a queued run would wait for the next unpause


def _delete_run(lab: Any, dag_id: str, run_id: str) -> None:
    try:
        lab.api.request("DELETE", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")
    except ApiError as e:
        if e.status != 404:
            raise


def _run_in(lab: Any, dag_id: str, answer: str) -> dict:
    words = shlex.split(answer)
    seen: dict = {"words": words, "exit": None, "state": None, "temporary": 0}
    if not words or words[0] != "airflow":
        return seen
    result = lab.airflow(*words[1:], timeout=240)
    seen["exit"] = result.returncode
    seen["tail"] = result.tail(3)
    rows = lab.sql(
        "SELECT state FROM task_instance WHERE dag_id = %s AND run_id = %s AND task_id = %s",
        (dag_id, EX2_RUN, EX2_TASK),
        database="airflow",
    )
    seen["state"] = None if rows.empty or not isinstance(rows.state[0], str) else rows.state[0]
    return seen


exercise_2 = Exercise(
    "exercise_2",
    answer=str,
    hints=(
        "section 3.1: `airflow tasks test` takes, after the DAG and the task, either a logical "
        "date or the id of a run that exists",
        f"give the run's id ({EX2_RUN}) where the seed gave a date: then the task runs in "
        "that run and its state stays recorded there",
    ),
    observe=_run_command,
    right=lambda seen: seen["state"] == "success",
    mistakes=[
        Mistake(
            lambda seen: not seen["words"] or seen["words"][0] != "airflow",
            "write the command as you would type it in a terminal, starting with `airflow`",
        ),
        Mistake(
            lambda seen: seen["exit"] not in (0, None) and seen["state"] is None,
            lambda seen: f"the command exited {seen['exit']}; its output ends:\n{seen['tail']}",
            fix="check the command's words against `airflow tasks test --help`",
        ),
        Mistake(
            lambda seen: seen["state"] is None,
            f"the command ran, but {EX2_TASK} in run {EX2_RUN} still has no state: Airflow ran "
            "the task in another run (one with that logical date, or a temporary one it deleted "
            "afterwards)",
            fix="name the run itself instead of a date",
        ),
    ],
    explain=f"{EX2_TASK} in run {EX2_RUN} ended {{state}}",
    fix="read the command's output for the task's failure",
    success=f"{EX2_TASK} ran inside {EX2_RUN}, and its state ({{state}}) stays recorded there: "
    "the way to run one task after its upstream tasks left their XComs in a run",
)

# ---- exercise 3: which definition wins? (a quiz, shown live) ----
SHADOW = {"conn_type": "postgres", "host": "metastore-row.invalid", "schema": "elsewhere"}


def _shadow_and_ask(answer: str, lab: Any) -> dict:
    given = answer.strip().lower()
    seen: dict = {"given": given, "pick": None}
    if "env" in given:
        seen["pick"] = "environment"
    elif "meta" in given or "database" in given or "ui" in given:
        seen["pick"] = "metastore"
    if lab is None or seen["pick"] is None:
        return seen
    delete_connection(lab, "db_postgre")
    lab.api.request("POST", "/api/v2/connections", json={"connection_id": "db_postgre", **SHADOW})
    try:
        seen.update(ask_databases(lab)["ask_db_postgre"])
    finally:
        delete_connection(lab, "db_postgre")
    return seen


exercise_3 = Exercise(
    "exercise_3",
    answer=str,
    hints=(
        "section 1.3: a process asks its secrets backends in a fixed order and takes the "
        "first answer",
        "the lab defines db_postgre one way for every process it starts; the checker adds a "
        "metastore row of that id pointing nowhere and runs a task on it",
    ),
    observe=_shadow_and_ask,
    right=lambda seen: seen["pick"] == "environment",
    mistakes=[
        Mistake(
            lambda seen: seen["pick"] is None,
            "answer with where the winning definition lives: the environment or the metastore",
        ),
    ],
    explain=lambda seen: (
        "not so: with a metastore row db_postgre pointing at "
        f"{SHADOW['host']}, the task still reached {seen.get('reached')}"
        if seen.get("reached")
        else "that is not the definition a task uses"
    ),
    fix="reread section 1.3's order of the secrets backends",
    success=lambda seen: (
        "a metastore row db_postgre pointed at "
        f"{SHADOW['host']}, yet the task reached {seen.get('reached')}: the worker found "
        "AIRFLOW_CONN_DB_POSTGRE in its environment first and never asked the metastore"
    ),
)


# ---- exercise 4: a connection as JSON (a quiz; Airflow's own Connection parses it) ----
def _parse_connection(answer: str, lab: Any) -> dict:
    try:
        fields = json.loads(answer)
    except ValueError as e:
        return {"error": f"that is not valid JSON ({e})"}
    if not isinstance(fields, dict):
        return {"error": "the JSON should be an object with connection fields"}
    from airflow.sdk import Connection

    try:
        conn = Connection.from_json(answer, conn_id="my_api")
    except (TypeError, ValueError) as e:
        return {"error": f"Airflow's Connection.from_json refused it: {e}"}
    return {
        "error": None,
        "conn_type": conn.conn_type,
        "host": conn.host,
        "port": conn.port,
        "schema": conn.schema,
        "url": f"{conn.schema or 'http'}://{conn.host}:{conn.port}",
    }


exercise_4 = Exercise(
    "exercise_4",
    answer=str,
    hints=(
        "section 1's table and 1.1's JSON form: for an HTTP connection one field holds the "
        "URL's scheme",
        "the JSON object has four keys: the type, the host name alone, the port, and the "
        "scheme in the field that a PostgreSQL connection uses for its database",
    ),
    observe=_parse_connection,
    right=lambda seen: (
        not seen["error"]
        and seen["conn_type"] == "http"
        and seen["url"] == "https://api.example.com:443"
    ),
    mistakes=[
        Mistake(
            lambda seen: seen["error"], "{error}", fix="build a dict and pass it to json.dumps"
        ),
        Mistake(
            lambda seen: seen["conn_type"] != "http",
            "Airflow read conn_type {conn_type!r}; HttpHook connections have another type",
            fix="the scheme is not the connection type",
        ),
    ],
    explain="Airflow read host {host!r}, port {port!r}, schema {schema!r}: HttpHook would call {url}",
    fix="the host is the name alone; the scheme goes in the field section 1's table names",
    success="Airflow read it as an http connection; HttpHook will call {url}/<endpoint>",
    needs_lab=False,
)
