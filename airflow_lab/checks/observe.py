"""How a checker reads Airflow's reaction to a learner's answer, through the live stack.

Each function shows the answer to Airflow the way a user would (a DAG file in the
learner bundle, a triggered run, an ``airflow`` command) and returns what Airflow
saw, as plain data a checker's message can quote: the parsed graph or the import
error, a run's state with every try and the end of a task's log, the rows stored.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from airflow_lab.api import describe_import_error
from airflow_lab.errors import ApiError, LabError
from airflow_lab.waiting import poll


@dataclass
class ParsedDag:
    """What the dag-processor made of one DAG file."""

    dag_id: str
    #: ``file:line: message`` when the file could not be imported, else None.
    import_error: str | None = None
    #: Airflow did not list the DAG although the file imported (wrong dag_id?).
    missing: bool = False
    #: task id -> sorted downstream task ids: the graph as Airflow holds it.
    graph: dict[str, list[str]] = field(default_factory=dict)
    #: task id -> the task's arguments from ``GET /api/v2/dags/{dag_id}/tasks``.
    tasks: dict[str, dict] = field(default_factory=dict)
    details: dict = field(default_factory=dict)
    #: The DAG as the scheduler will run it (:func:`parse_serialized` only).
    dag: Any = None

    @property
    def edges(self) -> list[tuple[str, str]]:
        return sorted((up, down) for up, downs in self.graph.items() for down in downs)

    def describe(self) -> str:
        if self.import_error:
            return f"Airflow could not import the file: {self.import_error}"
        if self.missing:
            return f"the file imported, but Airflow lists no DAG with the id {self.dag_id!r}"
        arrows = ", ".join(f"{a} >> {b}" for a, b in self.edges) or "no dependencies"
        return f"Airflow parsed {self.dag_id} with tasks {sorted(self.graph)} and {arrows}"


def parse_dag_file(
    lab: Any, filename: str, source: str, dag_id: str, timeout: float = 90
) -> ParsedDag:
    """Write ``source`` into the learner bundle and wait for a parse that is newer than it.

    A DAG already known from an earlier version of the file does not count: the
    answer is judged on the parse of what was just written.
    """
    written = datetime.now(UTC)
    path = lab.dags.path(filename)
    path.write_text(source)

    def newest() -> ParsedDag | None:
        for error in lab.api.import_errors():
            if error["filename"].endswith(filename) and _after(error["timestamp"], written):
                return ParsedDag(dag_id, import_error=describe_import_error(error))
        try:
            details = lab.api.get(f"/api/v2/dags/{dag_id}/details")
        except ApiError as e:
            if e.status == 404:
                return None
            raise
        if details.get("is_stale") or not _after(details.get("last_parsed_time"), written):
            return None
        if not str(details.get("fileloc") or details.get("relative_fileloc", "")).endswith(
            filename
        ):
            return None
        # A parse that began before the write ends after it with the old text: only a
        # DAG whose stored source is what was written counts.
        stored = lab.api.get(f"/api/v2/dagSources/{dag_id}").get("content", "")
        if stored.strip() != source.strip():
            return None
        tasks = {t["task_id"]: t for t in lab.api.get(f"/api/v2/dags/{dag_id}/tasks")["tasks"]}
        graph = {tid: sorted(t.get("downstream_task_ids") or []) for tid, t in tasks.items()}
        return ParsedDag(dag_id, graph=graph, tasks=tasks, details=details)

    try:
        return poll(
            newest,
            lambda seen: seen is not None,
            timeout=timeout,
            interval=0.5,
            what=f"a parse of {filename}",
            hint="check `airflow-lab logs dag-processor`",
        )
    except LabError:
        # Imported fine, parsed, but no DAG of that id came out of it.
        return ParsedDag(dag_id, missing=True)


def parse_serialized(lab: Any, filename: str, source: str, dag_id: str) -> ParsedDag:
    """:func:`parse_dag_file`, with the tasks read from the ``serialized_dag`` row.

    For checkers that read task arguments (``retries``, ``retry_delay``, ``op_args``,
    templated fields) or the timetable as the scheduler will use them. The
    dag-processor writes the serialized DAG and the file's source (``dag_code``) of one
    DAG version together, and the lab sets ``[core] min_serialized_dag_update_interval``
    to 0 so that every change is written: the row whose version holds this source is
    this file's DAG, returned deserialized as ``dag``.
    """
    from airflow.serialization.serialized_objects import DagSerialization

    parsed = parse_dag_file(lab, filename, source, dag_id)
    if parsed.import_error or parsed.missing:
        return parsed
    rows = lab.sql(
        "SELECT s.data FROM serialized_dag s JOIN dag_code c ON c.dag_version_id = s.dag_version_id "
        "WHERE s.dag_id = %s AND c.source_code = %s ORDER BY s.last_updated DESC LIMIT 1",
        (dag_id, source),
        database="airflow",
    )
    if rows.empty:
        return ParsedDag(dag_id, missing=True)
    data = rows.iloc[0]["data"]
    # The row as stored (op_args, templated fields, ...), plus what only deserializing
    # gives: the defaults the row leaves out (retries, retry_delay).
    stored = {t.get("__var", t)["task_id"]: t.get("__var", t) for t in data["dag"]["tasks"]}
    dag = DagSerialization.from_dict(data)
    tasks = {
        task.task_id: {
            **stored.get(task.task_id, {}),
            "operator_name": stored.get(task.task_id, {}).get("_operator_name") or task.task_type,
            "retries": task.retries,
            "retry_delay": task.retry_delay.total_seconds(),
            "downstream_task_ids": sorted(task.downstream_task_ids),
        }
        for task in dag.tasks
    }
    graph = {tid: t["downstream_task_ids"] for tid, t in tasks.items()}
    return ParsedDag(dag_id, graph=graph, tasks=tasks, details=parsed.details, dag=dag)


def _after(stamp: str | None, moment: datetime) -> bool:
    if not stamp:
        return False
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")) >= moment


@dataclass
class RunSeen:
    """One DagRun as the metastore holds it when it ended."""

    dag_id: str
    run_id: str
    state: str
    #: (task_id, try_number, state) for every try, oldest first.
    tries: list[tuple[str, int, str | None]]
    seconds: float

    def tries_of(self, task_id: str) -> list[str | None]:
        return [state for tid, _, state in self.tries if tid == task_id]

    def describe(self) -> str:
        parts = []
        for task_id in dict.fromkeys(t for t, _, _ in self.tries):
            states = self.tries_of(task_id)
            parts.append(f"{task_id}: {' -> '.join(str(s) for s in states)}")
        return f"run {self.state} after {self.seconds:.0f} s; tries: " + "; ".join(parts)


def trigger_and_follow(
    lab: Any, dag_id: str, conf: dict | None = None, timeout: float = 180
) -> RunSeen:
    """Unpause and trigger ``dag_id`` through REST, wait for its end, read every try."""
    t0 = time.monotonic()
    run = lab.api.run_dag(dag_id, datetime.now(UTC).isoformat(), conf, timeout)
    tries = lab.runs.tries(dag_id, run["dag_run_id"])
    rows = [
        (r.task_id, int(r.try_number), r.state if isinstance(r.state, str) else None)
        for r in tries.itertuples(index=False)
    ]
    return RunSeen(dag_id, run["dag_run_id"], run["state"], rows, time.monotonic() - t0)


def task_log_tail(lab: Any, seen: RunSeen, task_id: str, lines: int = 5) -> str:
    """The last lines of a task's newest try's log, through the REST API.

    The ``::group::``/``::endgroup::`` lines only fold the log in the UI; a message
    quoting the end of a log should quote what the task said instead.
    """
    tries = [n for tid, n, _ in seen.tries if tid == task_id]
    if not tries:
        return "(no try of that task)"
    text = lab.api.task_log(seen.dag_id, seen.run_id, task_id, max(tries))
    said = [
        line
        for line in text.strip().splitlines()
        if "::group::" not in line and "::endgroup::" not in line
    ]
    return "\n".join(said[-lines:])


def command_help(answer: str, lab: Any) -> dict:
    """``airflow <answer> --help``: does the command exist, and what does it say it does?

    The answer may start with ``airflow`` or not. Returns the command, the exit code,
    the first sentence of its description, and the last line Airflow printed, fit for
    a message (:func:`airflow_lab.checks.quote`).
    """
    from airflow_lab.checks import quote

    command = " ".join(answer.split()).removeprefix("airflow ").strip()
    result = lab.airflow(*command.split(), "--help", timeout=120)
    lines = [line.strip() for line in result.output.splitlines() if line.strip()]
    purpose = next(
        (line for line in lines if not line.startswith(("Usage", "[", "-", "airflow command"))),
        "",
    )
    return {
        "command": command,
        "rc": result.returncode,
        "purpose": purpose.split(". ")[0].rstrip("."),
        "said": quote(result.tail(1)),
    }
