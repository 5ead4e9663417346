"""Checkers for notebook 05 · The life of a DAG.

They compare an answer with what the live stack says: the ``dag`` table's parse
duration, the task instance timestamps of the notebook's run, the ``job`` table.
"""

from __future__ import annotations

from typing import Any

from airflow_lab.checks import exercise, expect, passed

DAG_ID = "nb05_life_of_a_dag"


def _parse_duration(lab: Any) -> float | None:
    df = lab.sql(
        "SELECT last_parse_duration FROM dag WHERE dag_id = %s", (DAG_ID,), database="airflow"
    )
    if df.empty or df.iloc[0, 0] is None:
        return None
    return float(df.iloc[0, 0])


@exercise(
    "SELECT last_parse_duration FROM dag WHERE dag_id = 'nb05_life_of_a_dag' (database='airflow')"
)
def exercise_1(answer: Any, lab: Any = None) -> str:
    expect(
        isinstance(answer, int | float) and not isinstance(answer, bool),
        f"`answer` should be a number of seconds, got {type(answer).__name__}",
        "take the single value out of the DataFrame: df.iloc[0, 0] or df.last_parse_duration[0]",
    )
    expect(
        answer > 0, f"{answer} s cannot be a parse duration", "it is a positive number of seconds"
    )
    expect(
        lab is not None, "this check needs the live lab", "call nb05.exercise_1(answer, lab=lab)"
    )
    actual = _parse_duration(lab)
    expect(
        actual is not None,
        f"the metastore has no parse duration for {DAG_ID}",
        "run the notebook's step 1 first, so that the dag-processor parses the file",
    )
    # The dag-processor parses the file again every few seconds, so the value moves a little.
    expect(
        abs(answer - actual) <= max(0.5, 2 * actual),
        f"{answer:.2f} s is far from the dag table's last_parse_duration, now {actual:.2f} s",
        "the seconds write_dag waited include waiting for the dag-processor to notice the file; "
        "the parse itself is dag.last_parse_duration",
    )
    return passed(
        f"the dag-processor imported the file in about {actual:.2f} s "
        "(dag.last_parse_duration); it re-parses it regularly, so the value moves a little."
    )


@exercise("the state between 'scheduled' and 'running'; see the notebook's transition table")
def exercise_2(answer: Any, lab: Any = None) -> str:
    expect(
        isinstance(answer, str),
        f"`answer` should be a state name (a string), got {type(answer).__name__}",
    )
    given = str(answer).strip().lower().removeprefix("taskinstancestate.")
    expect(
        given != "scheduled",
        "'scheduled' comes earlier: the scheduler has decided the task may run, but has not yet "
        "handed it to the executor",
        "once the executor has it, the task instance waits for a free worker slot in the next state",
    )
    expect(
        given == "queued",
        f"{answer!r} is not the state of a task instance waiting for a worker slot",
        "the order is None → scheduled → queued → running → success",
    )
    detail = ""
    if lab is not None:
        df = lab.sql(
            "SELECT max(extract(epoch FROM start_date - queued_dttm)) AS wait FROM task_instance"
            " WHERE dag_id = %s AND run_id = (SELECT run_id FROM dag_run WHERE dag_id = %s"
            " ORDER BY queued_at DESC LIMIT 1)",
            (DAG_ID, DAG_ID),
            database="airflow",
        )
        if not df.empty and df.iloc[0, 0] is not None:
            detail = (
                f" In your last run the longest wait in queued was {float(df.iloc[0, 0]):.2f} s."
            )
    return passed(
        "a task instance handed to the executor is 'queued' (queued_dttm) until a worker starts "
        f"it ('running', start_date).{detail}"
    )


def _normalise(name: str) -> str:
    name = name.strip().lower().removeprefix("airflow").strip()
    return "".join(ch for ch in name if ch.isalnum())


@exercise("the component of step 2; its process runs as `airflow ...-processor`")
def exercise_3(answer: Any, lab: Any = None) -> str:
    expect(
        isinstance(answer, str),
        f"`answer` should be a component name (a string), got {type(answer).__name__}",
    )
    given = _normalise(answer)
    expect(
        given not in {"scheduler", "webserver", "apiserver"},
        f"in Airflow 3 the {answer.strip()} never imports DAG files: it reads the serialized DAG "
        "from the metastore",
        "the seed's 'web server and scheduler parse' is Airflow 1/2; Airflow 3 has a separate component",
    )
    expect(
        given in {"dagprocessor", "dagfileprocessor", "dagfileprocessormanager"},
        f"{answer!r} is not the component that parses DAG files",
        "look at step 2 of the notebook and at the job types in the `job` table",
    )
    detail = ""
    if lab is not None:
        jobs = lab.sql(
            "SELECT id, hostname FROM job WHERE job_type = 'DagProcessorJob' AND state = 'running'"
            " AND latest_heartbeat > now() - interval '1 minute' ORDER BY id DESC",
            database="airflow",
        )
        expect(
            not jobs.empty,
            "the job table shows no running DagProcessorJob on this stack",
            "run `airflow-lab status`: the dag-processor must be running to parse files",
        )
        detail = f" On this stack it is job {int(jobs.id[0])} on host {jobs.hostname[0]}."
    return passed(
        "`airflow dag-processor` parses DAG files and writes dag and serialized_dag; "
        f"the scheduler and the api-server only read the metastore.{detail}"
    )
