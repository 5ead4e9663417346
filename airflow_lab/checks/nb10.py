"""Checkers for notebook 10 · Multi node: the queue outside the executor.

The hands-on exercises write the learner's DAG into the learner bundle of the
stack they are given (``lab=multi`` in the notebook), trigger it and read what
the metastore recorded: each task instance's start and end (how many ran at
once), the ``hostname`` of the worker that ran it, and the XComs stored. They
work on any executor; on the celery profile the hostnames are the two workers.
The quiz reads the stack's configuration with ``airflow config get-value``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from airflow_lab.checks import Exercise, Mistake, observe
from airflow_lab.errors import ApiError

DAG_IDS = {"exercise_1": "ex10_1_two_at_a_time", "exercise_2": "ex10_2_xcom_handoff"}
#: Exercise 1: the fan-out's size, and how many may run at once.
FANOUT, AT_ONCE = 6, 2


@dataclass
class RunRows:
    """A learner's DAG as parsed, and the ``task_instance`` rows of the run it made."""

    parsed: observe.ParsedDag
    run: observe.RunSeen | None = None
    #: one dict per task instance: task_id, map_index, state, hostname, start, end
    rows: list[dict] = field(default_factory=list)
    #: what the serialized DAG says limits the mapped task (argument -> value)
    limits: dict = field(default_factory=dict)
    #: task ids that have a ``return_value`` XCom in the run
    xcoms: list[str] = field(default_factory=list)
    log: str = ""

    @property
    def state(self) -> str | None:
        return self.run.state if self.run else None

    @property
    def peak(self) -> int:
        """The most task instances that were running at the same moment."""
        events = []
        for row in self.rows:
            if row["start"] is not None and row["end"] is not None:
                events += [(row["start"], 1), (row["end"], -1)]
        running = peak = 0
        for _, step in sorted(events, key=lambda e: (e[0], e[1])):  # an end before a start
            running += step
            peak = max(peak, running)
        return peak

    def hosts(self) -> str:
        """Which worker ran each task instance (``task_instance.hostname``)."""
        names = []
        for r in self.rows:
            index = f"[{r['map_index']}]" if r["map_index"] >= 0 else ""
            names.append(f"{r['task_id']}{index} on {r['hostname'] or '?'}")
        return ", ".join(names)


def _rows(lab: Any, dag_id: str, run_id: str) -> list[dict]:
    frame = lab.sql(
        "SELECT task_id, map_index, state, hostname, start_date, end_date FROM task_instance "
        "WHERE dag_id = %s AND run_id = %s ORDER BY task_id, map_index",
        (dag_id, run_id),
        database="airflow",
    )
    frame = frame.astype(object).where(frame.notna(), None)
    return [
        {
            "task_id": r.task_id,
            "map_index": int(r.map_index),
            "state": r.state,
            "hostname": r.hostname,
            "start": r.start_date,
            "end": r.end_date,
        }
        for r in frame.itertuples(index=False)
    ]


def _limits(lab: Any, dag_id: str, run_id: str, task_id: str) -> dict:
    """What limits ``task_id`` below the fan-out's size, as the scheduler read it for the
    run: the serialized DAG of the run's DAG version (a mapped task keeps its arguments in
    ``partial_kwargs``)."""
    frame = lab.sql(
        "SELECT s.data FROM serialized_dag s JOIN task_instance t "
        "ON t.dag_version_id = s.dag_version_id "
        "WHERE t.dag_id = %s AND t.run_id = %s AND t.task_id = %s LIMIT 1",
        (dag_id, run_id, task_id),
        database="airflow",
    )
    if frame.empty or not isinstance(frame.iloc[0]["data"], dict):
        return {}
    dag = frame.iloc[0]["data"].get("dag", {})
    found = {}
    if isinstance(dag.get("max_active_tasks"), int) and dag["max_active_tasks"] < FANOUT:
        found["max_active_tasks"] = dag["max_active_tasks"]
    for task in dag.get("tasks", []):
        task = task.get("__var", task)
        if task.get("task_id") != task_id:
            continue
        arguments = {**task, **(task.get("partial_kwargs") or {})}
        for key in ("max_active_tis_per_dag", "max_active_tis_per_dagrun"):
            if isinstance(arguments.get(key), int) and arguments[key] < FANOUT:
                found[key] = arguments[key]
        pool = arguments.get("pool")
        if pool and pool != "default_pool":
            try:
                slots = lab.api.get(f"/api/v2/pools/{pool}")["slots"]
            except ApiError:  # no such pool: it limits nothing
                slots = None
            if isinstance(slots, int) and 0 <= slots < FANOUT:
                found[f"pool {pool!r} slots"] = slots
    return found


def _run(lab: Any, source: str, dag_id: str) -> RunRows:
    parsed = observe.parse_dag_file(lab, f"{dag_id}.py", source, dag_id)
    seen = RunRows(parsed)
    if parsed.import_error or parsed.missing:
        return seen
    seen.run = observe.trigger_and_follow(lab, dag_id, timeout=240)
    seen.rows = _rows(lab, dag_id, seen.run.run_id)
    return seen


def _parse_problem(tasks: tuple[str, ...]) -> Mistake:
    return Mistake(
        lambda seen: bool(
            seen.parsed.import_error
            or seen.parsed.missing
            or not set(tasks) <= set(seen.parsed.graph)
        ),
        lambda seen: (
            seen.parsed.describe()
            if seen.parsed.import_error or seen.parsed.missing
            else f"{seen.parsed.describe()}; the exercise needs the tasks {list(tasks)}"
        ),
        fix="fix the file so that Airflow parses it, keeping the dag_id and the task ids",
    )


# ---- exercise 1: a fan-out that runs two at a time ----
def _observe_1(source: str, lab: Any) -> RunRows:
    seen = _run(lab, source, DAG_IDS["exercise_1"])
    if seen.run is not None:
        seen.limits = _limits(lab, DAG_IDS["exercise_1"], seen.run.run_id, "work")
    return seen


def _mapped(seen: RunRows) -> list[dict]:
    return [r for r in seen.rows if r["task_id"] == "work"]


exercise_1 = Exercise(
    "exercise_1",
    answer=str,
    hints=(
        "what caps how many task instances run at once: [core] parallelism and the workers' "
        "slots cap the whole stack ('The queue filling and draining'); a DAG or a task can "
        "ask for less, without changing the stack",
        "a task argument limits how many instances of that one task run at the same time, "
        "across the DAG's runs (its name starts with max_active_tis); a pool with two slots "
        "works too",
    ),
    observe=_observe_1,
    right=lambda seen: (
        seen.state == "success"
        and len(_mapped(seen)) == FANOUT
        and all(r["state"] == "success" for r in _mapped(seen))
        and seen.peak <= AT_ONCE
        and bool(seen.limits)
    ),
    mistakes=[
        _parse_problem(("work",)),
        Mistake(
            lambda seen: len(_mapped(seen)) != FANOUT,
            lambda seen: (
                f"the run made {len(_mapped(seen))} instances of work, not {FANOUT}: keep "
                f"the .expand() over {FANOUT} inputs ({seen.run.describe()})"
            ),
            fix="change only how many run at once, not how many there are",
        ),
        Mistake(
            lambda seen: seen.state != "success",
            lambda seen: f"the run did not succeed: {seen.run.describe()}",
        ),
        Mistake(
            lambda seen: seen.peak > AT_ONCE,
            lambda seen: (
                f"up to {seen.peak} instances of work ran at the same time ({seen.hosts()}); "
                f"the scheduler read {seen.limits or 'no limit on the task or the DAG'}"
            ),
            fix=f"at most {AT_ONCE} at once: set the limit on the task (or the DAG); "
            "max_active_runs limits whole runs",
        ),
        Mistake(
            lambda seen: not seen.limits,
            lambda seen: (
                "the serialized DAG (what the scheduler reads) sets no limit below "
                f"{FANOUT} on how many instances of work run at once, and up to {seen.peak} "
                f"ran at the same time: {seen.hosts()}"
            ),
            fix="set the limit on the task (or the DAG); max_active_runs limits whole runs",
        ),
    ],
    explain=lambda seen: f"the run: {seen.run.describe()}",
    success=lambda seen: (
        f"the scheduler read {seen.limits} and never ran more than {seen.peak} of the "
        f"{FANOUT} instances of work at once; the rest waited as scheduled in the metastore: "
        f"{seen.hosts()}"
    ),
)


# ---- exercise 2: the hand-off through XCom, whichever worker runs each task ----
def _observe_2(source: str, lab: Any) -> RunRows:
    dag_id = DAG_IDS["exercise_2"]
    seen = _run(lab, source, dag_id)
    if seen.run is None:
        return seen
    xcoms = lab.sql(
        "SELECT task_id FROM xcom WHERE dag_id = %s AND run_id = %s AND key = 'return_value'",
        (dag_id, seen.run.run_id),
        database="airflow",
    )
    seen.xcoms = sorted(xcoms.task_id)
    if seen.state != "success" and "store_nft" in seen.parsed.graph:
        text = observe.task_log_tail(lab, seen.run, "store_nft", lines=30)
        errors = [line for line in text.splitlines() if "Error" in line]
        seen.log = (errors or text.splitlines() or [""])[-1].strip()[:200]
    return seen


def _store_after_process(seen: RunRows) -> bool:
    return "store_nft" in seen.parsed.graph.get("process_nft", [])


exercise_2 = Exercise(
    "exercise_2",
    answer=str,
    hints=(
        "how data travels between tasks that may run on different machines: 'Why nft-pipeline "
        "does not break' (and notebook 06d, section 4.9)",
        "with TaskFlow, a task's return value is stored as an XCom, and passing one task's "
        "call result into another task's call both hands the value over and sets the "
        "dependency; no file is needed at all",
    ),
    observe=_observe_2,
    right=lambda seen: (
        seen.state == "success" and "process_nft" in seen.xcoms and _store_after_process(seen)
    ),
    mistakes=[
        _parse_problem(("process_nft", "store_nft")),
        Mistake(
            lambda seen: not _store_after_process(seen),
            lambda seen: (
                f"{seen.parsed.describe()}: store_nft does not run after process_nft, so it "
                "cannot read what process_nft made"
            ),
            fix="make store_nft depend on process_nft",
        ),
        Mistake(
            lambda seen: seen.state != "success",
            lambda seen: (
                f"the run ended {seen.state} ({seen.hosts()}); store_nft's log: {seen.log}"
            ),
            fix="hand the row over through Airflow, not through a worker's disk",
        ),
        Mistake(
            lambda seen: "process_nft" not in seen.xcoms,
            lambda seen: (
                f"the run succeeded ({seen.hosts()}), but the metastore holds no XCom from "
                "process_nft: the row still went through a file, which works only while both "
                "tasks land on one machine"
            ),
            fix="return the row from process_nft and pass it to store_nft",
        ),
    ],
    explain=lambda seen: f"the run ended {seen.state}: {seen.hosts()}",
    success=lambda seen: (
        f"process_nft's row travelled as an XCom in the metastore, which every worker "
        f"reaches: {seen.hosts()}"
    ),
)


# ---- exercise 3 (quiz): where the broker is ----
def _normalise(answer: str) -> str:
    text = answer.strip().lower()
    if text.startswith("airflow__"):  # the environment variable form
        return ".".join(text.removeprefix("airflow__").split("__"))
    if text.startswith("["):  # "[celery] broker_url"
        section, _, option = text[1:].partition("]")
        return f"{section.strip()}.{option.strip()}"
    return text.replace(" ", "")


exercise_3 = Exercise(
    "exercise_3",
    answer=str,
    hints=(
        "section 'Where the queue sits': the option you read there with `airflow config get-value`",
        "the section is named after the executor's library; the option's name says that it "
        "holds the broker's address",
    ),
    observe=lambda answer, lab: {"option": _normalise(answer), "answer": answer},
    right=lambda seen: seen["option"] == "celery.broker_url",
    mistakes=[
        Mistake(
            lambda seen: seen["option"] == "core.executor",
            "[core] executor picks CeleryExecutor, but not where its queue is",
            fix="look for the option whose value is a redis:// URL",
        ),
        Mistake(
            lambda seen: seen["option"] == "celery.result_backend",
            "[celery] result_backend is where workers put the results of Celery tasks, not "
            "the queue",
            fix="look for the option whose value starts with redis://",
        ),
        Mistake(
            lambda seen: seen["option"] == "operators.default_queue",
            "[operators] default_queue names the queue, not the server that holds it",
            fix="look for the option that holds an address",
        ),
    ],
    explain="{answer!r} is not the option that holds the broker's address",
    fix="answer 'section.option', as read in 'Where the queue sits'",
    needs_lab=False,
    success=(
        "[celery] broker_url (env AIRFLOW__CELERY__BROKER_URL) is the queue's address; every "
        "scheduler and worker of one deployment must have the same value"
    ),
)
