"""Checkers for notebook 14 · Dynamic task mapping: the collection page by page.

Both exercises are DAG files. The checker writes the learner's source into the
learner bundle, waits for the parse of exactly that source, triggers a run and
reads what the metastore recorded: one ``task_instance`` row per mapped index
(``map_index`` 0, 1, ...), each row's start and end (how many ran at once), the
limits the scheduler read from the serialized DAG, and the rows the run stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from airflow_lab.checks import Exercise, Mistake, observe

DAG_IDS = {"exercise_1": "ex14_1_pages", "exercise_2": "ex14_2_polite"}
#: Exercise 1 reads 4 pages of 25 NFTs into this table.
TABLE_1, PAGES_1, PAGE_SIZE_1 = "ex14_1_nfts", 4, 25
#: Exercise 2: six pages, at most two requests at once.
PAGES_2, AT_ONCE = 6, 2


@dataclass
class Mapped:
    """A learner's DAG as parsed, the run it made, and that run's task instances."""

    parsed: observe.ParsedDag
    run: observe.RunSeen | None = None
    #: one dict per task instance: task_id, map_index, state, start, end
    rows: list[dict] = field(default_factory=list)
    #: the per-task limits of fetch_page in the serialized DAG the run used
    limits: dict = field(default_factory=dict)
    stored: list[str] = field(default_factory=list)
    log: str = ""

    @property
    def state(self) -> str | None:
        return self.run.state if self.run else None

    def of(self, task_id: str) -> list[dict]:
        return [r for r in self.rows if r["task_id"] == task_id]

    @property
    def indexes(self) -> list[int]:
        """The map indexes of fetch_page (-1: one task instance, not mapped)."""
        return sorted(r["map_index"] for r in self.of("fetch_page"))

    @property
    def peak(self) -> int:
        """The most fetch_page instances that were running at the same moment."""
        events = []
        for row in self.of("fetch_page"):
            if row["start"] is not None and row["end"] is not None:
                events += [(row["start"], 1), (row["end"], -1)]
        running = peak = 0
        for _, step in sorted(events, key=lambda e: (e[0], e[1])):  # an end before a start
            running += step
            peak = max(peak, running)
        return peak

    def instances(self) -> str:
        return ", ".join(
            f"{r['task_id']}[{r['map_index']}] {r['state']}"
            if r["map_index"] >= 0
            else f"{r['task_id']} {r['state']}"
            for r in self.rows
        )


def _task_rows(lab: Any, dag_id: str, run_id: str) -> list[dict]:
    frame = lab.sql(
        "SELECT task_id, map_index, state, start_date, end_date FROM task_instance "
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
            "start": r.start_date,
            "end": r.end_date,
        }
        for r in frame.itertuples(index=False)
    ]


def _task_limits(lab: Any, dag_id: str, run_id: str, task_id: str) -> dict:
    """``max_active_tis_per_dag``/``_per_dagrun`` of ``task_id`` as the scheduler read them:
    the serialized DAG of the run's DAG version (a mapped task keeps them in
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
    found = {}
    for task in frame.iloc[0]["data"].get("dag", {}).get("tasks", []):
        task = task.get("__var", task)
        if task.get("task_id") == task_id:
            arguments = {**task, **(task.get("partial_kwargs") or {})}
            for key in ("max_active_tis_per_dag", "max_active_tis_per_dagrun"):
                if isinstance(arguments.get(key), int):
                    found[key] = arguments[key]
    return found


def _follow(lab: Any, source: str, dag_id: str, before=None) -> Mapped:
    parsed = observe.parse_dag_file(lab, f"{dag_id}.py", source, dag_id)
    seen = Mapped(parsed)
    if parsed.import_error or parsed.missing or "fetch_page" not in parsed.graph:
        return seen
    if before:
        before()
    seen.run = observe.trigger_and_follow(lab, dag_id, timeout=240)
    seen.rows = _task_rows(lab, dag_id, seen.run.run_id)
    failed = [r for r in seen.rows if r["state"] == "failed"]
    if failed:
        text = observe.task_log_tail(lab, seen.run, failed[0]["task_id"], lines=40)
        errors = [line for line in text.splitlines() if "Error" in line or "rror:" in line]
        seen.log = (errors or text.splitlines() or [""])[-1].strip()[:200]
    return seen


_NOT_PARSED = Mistake(
    lambda seen: bool(
        seen.parsed.import_error or seen.parsed.missing or "fetch_page" not in seen.parsed.graph
    ),
    lambda seen: (
        seen.parsed.describe()
        if seen.parsed.import_error or seen.parsed.missing
        else f"{seen.parsed.describe()}; the exercise needs a task named fetch_page"
    ),
    fix="fix the file so that Airflow parses it, keeping the dag_id and a task fetch_page",
)


# ---- exercise 1: one task instance per page ----
def _observe_1(source: str, lab: Any) -> Mapped:
    def empty_table() -> None:
        lab.execute(f"CREATE TABLE IF NOT EXISTS {TABLE_1} (token_id TEXT PRIMARY KEY, name TEXT)")
        lab.execute(f"TRUNCATE {TABLE_1}")

    seen = _follow(lab, source, DAG_IDS["exercise_1"], before=empty_table)
    if seen.run is not None:
        seen.stored = list(lab.sql(f"SELECT token_id FROM {TABLE_1}").token_id)
    return seen


WANTED_1 = {str(n) for n in range(PAGES_1 * PAGE_SIZE_1)}

exercise_1 = Exercise(
    "exercise_1",
    answer=str,
    hints=(
        "dynamic task mapping, sections 2 and 3: one task instance per element of a list "
        "that an upstream task returns, told apart by map_index",
        "turn the loop inside out: a task that fetches ONE page for one cursor, mapped over "
        "the list_cursors result; what is the same for every page goes in partial(); the "
        "store task then receives the list of all pages",
    ),
    observe=_observe_1,
    right=lambda seen: (
        seen.state == "success"
        and seen.indexes == list(range(PAGES_1))
        and set(seen.stored) == WANTED_1
    ),
    mistakes=[
        _NOT_PARSED,
        Mistake(
            lambda seen: seen.indexes == [-1],
            lambda seen: (
                "fetch_page ran as one task instance (map_index -1): nothing was mapped, so "
                f"one try still reads every page ({seen.instances()})"
            ),
            fix="make fetch_page read one page and create one task instance per cursor",
        ),
        Mistake(
            lambda seen: seen.state != "success",
            lambda seen: f"the run ended {seen.state}: {seen.instances()}; log: {seen.log}",
        ),
        Mistake(
            lambda seen: seen.indexes != list(range(PAGES_1)),
            lambda seen: (
                f"fetch_page has map indexes {seen.indexes}, but list_cursors returned "
                f"{PAGES_1} cursors: one task instance per cursor is expected"
            ),
            fix="map over the cursors alone; what every page shares goes in partial()",
        ),
    ],
    explain=lambda seen: (
        f"the run mapped fetch_page to {seen.indexes}, but {TABLE_1} holds "
        f"{len(seen.stored)} rows instead of the {len(WANTED_1)} of the {PAGES_1} pages"
    ),
    fix="the store task must receive every page the mapped task returned",
    success=lambda seen: (
        f"fetch_page ran as {len(seen.indexes)} task instances (map_index "
        f"{seen.indexes[0]}..{seen.indexes[-1]}), and {TABLE_1} holds the "
        f"{len(seen.stored)} NFTs of all {PAGES_1} pages"
    ),
)


# ---- exercise 2: at most two requests at once ----
def _observe_2(source: str, lab: Any) -> Mapped:
    seen = _follow(lab, source, DAG_IDS["exercise_2"])
    if seen.run is not None:
        seen.limits = _task_limits(lab, DAG_IDS["exercise_2"], seen.run.run_id, "fetch_page")
    return seen


def _limited(seen: Mapped) -> bool:
    return any(value <= AT_ONCE for value in seen.limits.values())


exercise_2 = Exercise(
    "exercise_2",
    answer=str,
    hints=(
        "the limits of mapping, section 4: an argument of the task caps how many of its "
        "instances run at the same time, whatever [core] parallelism allows",
        "the argument's name starts with max_active_tis; give it to the task itself (the "
        "decorator's arguments), not to the DAG: max_active_runs counts whole runs",
    ),
    observe=_observe_2,
    right=lambda seen: (
        seen.state == "success"
        and seen.indexes == list(range(PAGES_2))
        and seen.peak <= AT_ONCE
        and _limited(seen)
    ),
    mistakes=[
        _NOT_PARSED,
        Mistake(
            lambda seen: seen.indexes != list(range(PAGES_2)),
            lambda seen: (
                f"fetch_page has map indexes {seen.indexes}, not 0..{PAGES_2 - 1}: keep the "
                "expand() over the cursors"
            ),
            fix="change only how many run at once, not how many there are",
        ),
        Mistake(
            lambda seen: seen.state != "success",
            lambda seen: f"the run ended {seen.state}: {seen.instances()}; log: {seen.log}",
        ),
        Mistake(
            lambda seen: seen.peak > AT_ONCE,
            lambda seen: (
                f"up to {seen.peak} instances of fetch_page ran at the same time; the "
                f"scheduler read {seen.limits or 'no per-task limit'} on fetch_page"
            ),
            fix=f"at most {AT_ONCE} at once: set the limit on the task",
        ),
        Mistake(
            lambda seen: not _limited(seen),
            lambda seen: (
                f"at most {seen.peak} instances of fetch_page ran at the same time, but only by "
                f"chance: the serialized DAG sets {seen.limits or 'no per-task limit'} on it"
            ),
            fix="set the limit on the task, so that the scheduler enforces it",
        ),
    ],
    explain=lambda seen: f"the run: {seen.instances()}",
    success=lambda seen: (
        f"the scheduler read {seen.limits} on fetch_page and never ran more than "
        f"{seen.peak} of its {PAGES_2} instances at once; the others waited as scheduled"
    ),
)
