"""Checkers for notebook 12 · TaskFlow: ``@task`` functions, XComArgs and ``multiple_outputs``.

Every exercise is a DAG file. The checker writes it into the learner bundle, reads the
task as Airflow serialized it (its operator, upstream tasks and XComArgs, from the
``serialized_dag`` row), triggers one small run and reads the XComs the tasks stored
(``GET .../taskInstances/{task_id}/xcomEntries``); exercise 3 also what one returned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from airflow_lab.checks import Exercise, Mistake, not_parsed, observe

#: The NFTs each exercise run reads (the DAGs ask the local API for this many).
LIMIT = 5


def xcom_entries(lab: Any, dag_id: str, run_id: str, task_id: str) -> dict[str, Any]:
    """Every XCom a task stored in one run, key -> value (REST ``xcomEntries``)."""
    path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries"
    keys = [entry["key"] for entry in lab.api.get(path)["xcom_entries"]]
    return {key: lab.api.xcom(dag_id, run_id, task_id, key) for key in sorted(keys)}


@dataclass
class Seen:
    """What Airflow made of the learner's DAG, and of one run of it."""

    parsed: observe.ParsedDag
    task_id: str
    #: The task's entry in the serialized DAG (``_operator_name``, ``op_args``, ...).
    serialized: dict = field(default_factory=dict)
    run: observe.RunSeen | None = None
    #: key -> value of every XCom the task stored in the run.
    xcoms: dict[str, Any] = field(default_factory=dict)
    #: The end of the log of the first task that failed, if one did.
    failure: str = ""

    import_error = property(lambda self: self.parsed.import_error)

    @property
    def no_task(self) -> bool:
        return not self.parsed.import_error and self.task_id not in self.parsed.tasks

    operator = property(lambda self: self.parsed.tasks.get(self.task_id, {}).get("operator_name"))

    @property
    def upstream(self) -> list[str]:
        return sorted(up for up, downs in self.parsed.graph.items() if self.task_id in downs)

    @property
    def receives(self) -> list[str]:
        """The task ids whose XCom the task gets as an argument (XComArgs, as serialized)."""
        text = str(self.serialized.get("op_args", "")) + str(self.serialized.get("op_kwargs", ""))
        return sorted(t for t in self.parsed.tasks if f"task_ids='{t}'" in text)

    succeeded = property(lambda self: bool(self.run) and self.run.state == "success")

    def story(self) -> str:
        if self.run is None:
            return self.parsed.describe()
        text = self.run.describe()
        if self.failure:
            text += f"\n  the failed task's log ends:\n    {self.failure}"
        return text


def observe_taskflow(
    lab: Any, source: str, dag_id: str, task_id: str, *, run_if=lambda seen: True
) -> Seen:
    """Parse the learner's DAG; if ``run_if(seen)``, run it once and read the task's XComs."""
    parsed = observe.parse_serialized(lab, f"{dag_id}.py", source, dag_id)
    seen = Seen(parsed, task_id)
    if parsed.import_error or parsed.missing or task_id not in parsed.tasks:
        return seen
    seen.serialized = parsed.tasks[task_id]
    if not run_if(seen):
        return seen
    lab.runs.wait_until_idle(dag_id)
    seen.run = observe.trigger_and_follow(lab, dag_id, timeout=120)
    failed = [tid for tid, _, state in seen.run.tries if state in ("failed", "upstream_failed")]
    if failed:
        tail = observe.task_log_tail(lab, seen.run, failed[0], lines=8).splitlines()
        seen.failure = "\n    ".join([line for line in tail if not line.startswith("::")][-2:])
    if task_id in dict.fromkeys(t for t, _, _ in seen.run.tries):
        seen.xcoms = xcom_entries(lab, dag_id, seen.run.run_id, task_id)
    return seen


NOT_PARSED = (
    *not_parsed(parsed=lambda s: s.parsed),
    Mistake(
        lambda s: s.no_task,
        lambda s: (
            f"Airflow parsed the DAG with tasks {sorted(s.parsed.tasks)}, but no task {s.task_id!r}"
        ),
        fix="keep the task_id the exercise names (a @task function's name is its task_id)",
    ),
)


# ---- exercise 1: a classic PythonOperator becomes a @task function ----
def _rows_ok(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) == LIMIT
        and all(isinstance(row, dict) and "token_id" in row for row in value)
    )


exercise_1 = Exercise(
    "exercise_1",
    answer=str,
    hints=(
        "TaskFlow, sections 2 and 3: a function under the @task decorator is a task; calling it "
        "with another task's output as an argument hands that XCom over and draws the edge",
        "the task that pulls its input with ti.xcom_pull and the explicit dependency are the "
        "classic form; in TaskFlow the input is a parameter of the decorated function, and a "
        "classic operator's result reaches it through that operator's XComArg (section 2 "
        "names the attribute)",
    ),
    observe=lambda source, lab: observe_taskflow(
        lab,
        source,
        "ex12_1_taskflow",
        "process_nft",
        run_if=lambda s: s.operator == "@task" and s.receives,
    ),
    right=lambda s: s.succeeded and _rows_ok(s.xcoms.get("return_value")),
    mistakes=(
        *NOT_PARSED,
        Mistake(
            lambda s: s.operator != "@task",
            lambda s: f"Airflow parsed process_nft as a {s.operator}, not as a @task function",
            fix="decorate a function with @task and call it inside the DAG",
        ),
        Mistake(
            lambda s: not s.receives,
            lambda s: (
                f"process_nft is a @task and its upstream tasks are {s.upstream or 'none'}, "
                "but it receives no other task's XCom as an argument"
                + (": the edge comes from >> alone" if s.upstream else "")
            ),
            fix="pass extract_nft's output to the function when you call it; the edge follows",
        ),
        Mistake(
            lambda s: not s.succeeded,
            lambda s: f"the run did not succeed: {s.story()}",
            fix="the function now gets the page itself, not a task instance to pull from",
        ),
        Mistake(
            lambda s: "return_value" not in s.xcoms,
            lambda s: f"{s.story()}\nprocess_nft stored no return_value XCom",
            fix="a @task function's return value is its XCom: return the rows",
        ),
    ),
    explain=lambda s: (
        f"{s.story()}\nprocess_nft's return_value is not {LIMIT} rows with a token_id: "
        f"{str(s.xcoms.get('return_value'))[:120]}"
    ),
    success=lambda s: (
        f"process_nft is a @task that receives {s.receives} as an argument; Airflow drew "
        f"{' and '.join(f'{u} >> process_nft' for u in s.upstream)} from it, and the run stored "
        f"{len(s.xcoms['return_value'])} rows as its return_value."
    ),
)


# ---- exercise 2: multiple_outputs ----
EX2_KEYS = ("count", "first_name")


exercise_2 = Exercise(
    "exercise_2",
    answer=str,
    hints=(
        "multiple_outputs, section 3: a task returning a dict can store each key as an XCom "
        "of its own, which is what a subscript like summary['count'] pulls",
        "the summarize task must return a dict with the two keys report reads, and Airflow must "
        "split it: say so in the decorator, or let the function's return annotation say it",
    ),
    observe=lambda source, lab: observe_taskflow(
        lab, source, "ex12_2_multiple_outputs", "summarize"
    ),
    right=lambda s: s.succeeded and set(EX2_KEYS) <= set(s.xcoms) and s.xcoms.get("count") == LIMIT,
    mistakes=(
        *NOT_PARSED,
        Mistake(
            lambda s: s.run and s.xcoms and not set(EX2_KEYS) & set(s.xcoms),
            lambda s: (
                f"{s.story()}\nAirflow stored summarize's XComs under the keys {sorted(s.xcoms)}: "
                "the dict was kept whole, so report found no XCom 'count'"
            ),
            fix="tell Airflow to split the returned dict into one XCom per key",
        ),
        Mistake(
            lambda s: s.run and not s.xcoms,
            lambda s: f"{s.story()}\nsummarize stored no XCom at all",
            fix="summarize must return a dict",
        ),
        Mistake(
            lambda s: not set(EX2_KEYS) <= set(s.xcoms),
            lambda s: (
                f"{s.story()}\nsummarize stored the keys {sorted(s.xcoms)}; report reads {list(EX2_KEYS)}"
            ),
            fix="return a dict with exactly the keys report reads",
        ),
    ),
    explain=lambda s: (
        f"{s.story()}\nsummarize stored count = {s.xcoms.get('count')!r}; the page holds {LIMIT} NFTs"
    ),
    success=lambda s: (
        f"summarize stored the XComs {sorted(s.xcoms)}; report read two of them and the run succeeded "
        f"(count = {s.xcoms['count']}, first_name = {s.xcoms['first_name']!r})."
    ),
)


# ---- exercise 3: context injection ----
EX3_DAG_ID = "ex12_3_context"
EX3_LIMIT = 7


def observe_stamp(source: str, lab: Any) -> Seen:
    """Parse, run once with ``conf={"limit": 7}``, read what ``stamp`` returned."""
    parsed = observe.parse_serialized(lab, f"{EX3_DAG_ID}.py", source, EX3_DAG_ID)
    seen = Seen(parsed, "stamp")
    if parsed.import_error or parsed.missing or "stamp" not in parsed.tasks:
        return seen
    lab.runs.wait_until_idle(EX3_DAG_ID)
    seen.run = observe.trigger_and_follow(lab, EX3_DAG_ID, {"limit": EX3_LIMIT}, timeout=120)
    if seen.run.state != "success":
        tail = observe.task_log_tail(lab, seen.run, "stamp", lines=8).splitlines()
        seen.failure = "\n    ".join([line for line in tail if not line.startswith("::")][-2:])
    else:
        seen.xcoms = xcom_entries(lab, EX3_DAG_ID, seen.run.run_id, "stamp")
    return seen


exercise_3 = Exercise(
    "exercise_3",
    answer=str,
    hints=(
        "context injection, section 5: a @task function receives the context entries it "
        "names as parameters; any other name stays None",
        "three context entries give the three values: the run's id, the run's params (a "
        "dict, with the conf applied) and the task instance, which knows its try number",
    ),
    observe=observe_stamp,
    right=lambda s: (
        s.succeeded and s.xcoms.get("return_value") == f"{s.run.run_id} limit={EX3_LIMIT} try=1"
    ),
    mistakes=(
        *NOT_PARSED,
        Mistake(
            lambda s: not s.succeeded,
            lambda s: f"the run did not succeed: {s.story()}",
            fix="a name the function uses must be one of its parameters, named after a context key",
        ),
        Mistake(
            lambda s: s.xcoms.get("return_value") is None,
            lambda s: f"{s.story()}\nstamp returned None",
            fix="return the text; the return value is the XCom",
        ),
    ),
    explain=lambda s: (
        f"stamp returned {s.xcoms.get('return_value')!r}, but the run's id is "
        f"{s.run.run_id!r}, the run's conf set limit to {EX3_LIMIT}, and this was try 1"
    ),
    fix="ask for the context entries by their names (section 5)",
    success=lambda s: (
        f"stamp returned {s.xcoms['return_value']!r}: Airflow filled in the run id, the "
        "params with the run's conf, and the task instance."
    ),
)
