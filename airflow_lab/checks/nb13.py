"""Checkers for notebook 13 · Params, templates and the trigger form.

Exercise 1 writes the learner's DAG, then triggers it through REST with good and
bad ``conf`` and reads Airflow's answer to each (a DagRun, or a 400 with the
validation error). Exercise 2 triggers the learner's DAG once, as a manual run
without a logical date, and reads the fields Airflow rendered for each task
(``rendered_fields`` of ``GET .../taskInstances``) and the XCom of the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from airflow_lab.checks import Exercise, Mistake, not_parsed, observe
from airflow_lab.errors import ApiError


def first_line(text: str) -> str:
    return str(text).strip().splitlines()[0] if str(text).strip() else ""


# ---- exercise 1: Params that validate ----
EX1_DAG_ID = "ex13_1_params"
#: conf -> should Airflow accept it?
EX1_TRIALS: tuple[tuple[dict, bool], ...] = (
    ({}, True),
    ({"limit": 50}, True),
    ({"collection": "cool_cats-2", "limit": 1}, True),
    ({"limit": 0}, False),
    ({"limit": 51}, False),
    ({"limit": "ten"}, False),
    ({"collection": "doodles official"}, False),
    ({"collection": "../admin"}, False),
)
EX1_DEFAULTS = {"collection": "doodles-official", "limit": 5}


@dataclass
class ParamsSeen:
    parsed: observe.ParsedDag
    #: name -> {"value": default, "schema": {...}} as Airflow holds the DAG's params.
    params: dict = field(default_factory=dict)
    #: (conf, accepted, Airflow's answer) per trial.
    answers: list[tuple[dict, bool, str]] = field(default_factory=list)

    @property
    def import_error(self) -> str | None:
        return self.parsed.import_error

    @property
    def defaults(self) -> dict:
        return {name: p.get("value") for name, p in self.params.items()}

    def wrong(self) -> list[tuple[dict, bool, str]]:
        expected = dict((str(c), ok) for c, ok in EX1_TRIALS)
        return [a for a in self.answers if expected[str(a[0])] != a[1]]

    def table(self) -> str:
        return "\n".join(
            f"  conf={conf}: {'accepted' if ok else 'rejected'}" + ("" if ok else f" ({said})")
            for conf, ok, said in self.answers
        )


def try_confs(source: str, lab: Any) -> ParamsSeen:
    """Parse the DAG, then ``POST .../dagRuns`` once per trial conf, the DAG paused."""
    parsed = observe.parse_serialized(lab, f"{EX1_DAG_ID}.py", source, EX1_DAG_ID)
    seen = ParamsSeen(parsed)
    if parsed.import_error or parsed.missing:
        return seen
    seen.params = lab.api.get(f"/api/v2/dags/{EX1_DAG_ID}/details").get("params") or {}
    lab.api.set_paused(EX1_DAG_ID, True)  # accepted runs stay queued: nothing runs
    # The runs of the earlier answer go now, not after the trials: a DAG version with
    # runs is never rewritten in place, so the next answer gets a version of its own,
    # which the api-server cannot confuse with this one when it validates a conf.
    for run in lab.api.dag_runs(EX1_DAG_ID, limit=100):
        lab.api.request(
            "DELETE", f"/api/v2/dags/{EX1_DAG_ID}/dagRuns/{quote(run['dag_run_id'], safe='')}"
        )
    for conf, _ in EX1_TRIALS:
        try:
            run = lab.api.trigger(EX1_DAG_ID, None, conf)
        except ApiError as e:
            seen.answers.append((conf, False, f"{e.status}: {first_line(e.detail)}"))
            continue
        seen.answers.append((conf, True, run["state"]))
    return seen


def _schemas(s: ParamsSeen) -> str:
    return "; ".join(f"{name}: {p.get('schema')}" for name, p in sorted(s.params.items()))


exercise_1 = Exercise(
    "exercise_1",
    answer=str,
    hints=(
        "Param, section 2: a Param holds a default and a JSON schema, and Airflow checks a "
        "run's conf against it before it creates the run",
        "limit needs a type and a lowest and highest value; collection needs a type and a "
        "regular expression that allows only letters, digits, - and _ from start to end; "
        "both need the defaults the task names",
    ),
    observe=try_confs,
    right=lambda s: bool(s.answers) and not s.wrong() and s.defaults == EX1_DEFAULTS,
    mistakes=(
        *not_parsed(parsed=lambda s: s.parsed),
        Mistake(
            lambda s: sorted(s.params) != sorted(EX1_DEFAULTS),
            lambda s: f"Airflow holds the params {sorted(s.params)} for {EX1_DAG_ID}",
            fix="declare exactly the two Params the exercise names",
        ),
        Mistake(
            lambda s: any(ok for _, ok, _ in s.wrong()),
            lambda s: (
                "Airflow accepted a conf it should refuse:\n"
                + "\n".join(f"  conf={c}" for c, ok, _ in s.wrong() if ok)
                + f"\nthe schemas Airflow holds: {_schemas(s)}"
            ),
            fix="tighten the schema of the Param that let it through",
        ),
        Mistake(
            lambda s: any(not ok for _, ok, _ in s.wrong()),
            lambda s: (
                "Airflow refused a conf it should accept:\n"
                + "\n".join(f"  conf={c}: {said}" for c, ok, said in s.wrong() if not ok)
            ),
            fix="loosen the schema (or give the Param the default the exercise names)",
        ),
    ),
    explain=lambda s: f"the defaults Airflow holds are {s.defaults}, not {EX1_DEFAULTS}",
    fix="a Param's first argument is its default",
    success=lambda s: (
        f"Airflow answered each trigger as it should:\n{s.table()}\n"
        "Every bad conf was refused before a run existed."
    ),
)


# ---- exercise 2: templated fields in a manual run without a logical date ----
EX2_DAG_ID = "ex13_2_templated"
EX2_LIMIT = 3


@dataclass
class RenderSeen:
    parsed: observe.ParsedDag
    run: observe.RunSeen | None = None
    dag_run: dict = field(default_factory=dict)
    #: task_id -> the fields Airflow rendered for it in the run.
    rendered: dict[str, dict] = field(default_factory=dict)
    #: task_id -> the field values as written in the DAG (serialized).
    raw: dict[str, dict] = field(default_factory=dict)
    page: Any = None
    #: task_id -> the last log lines of a failed task.
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def import_error(self) -> str | None:
        return self.parsed.import_error

    @property
    def day(self) -> str:
        return str(self.dag_run.get("run_after", ""))[:10].replace("-", "")

    @property
    def file_name(self) -> str:
        return f"nfts_{self.day}.json"

    def field(self, task_id: str, name: str) -> Any:
        return self.rendered.get(task_id, {}).get(name)

    def templated(self, task_id: str, name: str) -> bool:
        return "{{" in str(self.raw.get(task_id, {}).get(name, ""))

    @property
    def extract_ok(self) -> bool:
        data = self.field("extract_nft", "data") or {}
        return (
            self.templated("extract_nft", "endpoint")
            and self.field("extract_nft", "endpoint") == "api/v2/collection/doodles-official/nfts"
            and str(data.get("limit")) == str(EX2_LIMIT)
            and isinstance(self.page, list)
            and len(self.page) == EX2_LIMIT
        )

    @property
    def file_ok(self) -> bool:
        command = str(self.field("save_page", "bash_command") or "")
        return self.file_name in command and self.templated("save_page", "bash_command")

    def story(self) -> str:
        if self.run is None:
            return self.parsed.describe()
        lines = [self.run.describe()]
        for task_id in ("extract_nft", "save_page"):
            shown = {k: v for k, v in self.rendered.get(task_id, {}).items() if v}
            lines.append(f"  {task_id} rendered: {shown or 'nothing'}")
            if task_id in self.errors:
                lines.append(f"  {task_id}'s log ends: {self.errors[task_id]}")
        return "\n".join(lines)


def run_templated(source: str, lab: Any) -> RenderSeen:
    """Parse, trigger once with conf={"limit": 3} and no logical date, read what rendered."""
    parsed = observe.parse_serialized(lab, f"{EX2_DAG_ID}.py", source, EX2_DAG_ID)
    seen = RenderSeen(parsed)
    if parsed.import_error or parsed.missing:
        return seen
    seen.raw = parsed.tasks
    lab.runs.wait_until_idle(EX2_DAG_ID)
    lab.api.set_paused(EX2_DAG_ID, False)
    run = lab.api.trigger(EX2_DAG_ID, None, {"limit": EX2_LIMIT})
    seen.dag_run = lab.api.wait_for_run(EX2_DAG_ID, run["dag_run_id"], timeout=120)
    rows = [
        (r.task_id, int(r.try_number), r.state if isinstance(r.state, str) else None)
        for r in lab.runs.tries(EX2_DAG_ID, run["dag_run_id"]).itertuples(index=False)
    ]
    seconds = seen.dag_run.get("duration") or 0
    seen.run = observe.RunSeen(EX2_DAG_ID, run["dag_run_id"], seen.dag_run["state"], rows, seconds)
    for ti in lab.api.task_instances(EX2_DAG_ID, run["dag_run_id"]):
        seen.rendered[ti["task_id"]] = ti.get("rendered_fields") or {}
        if ti["state"] == "failed":
            tail = observe.task_log_tail(lab, seen.run, ti["task_id"], lines=8).splitlines()
            seen.errors[ti["task_id"]] = " | ".join(
                [line for line in tail if not line.startswith("::")][-1:]
            )
        if ti["task_id"] == "extract_nft" and ti["state"] == "success":
            seen.page = lab.api.xcom(EX2_DAG_ID, run["dag_run_id"], "extract_nft")
    return seen


exercise_2 = Exercise(
    "exercise_2",
    answer=str,
    hints=(
        "Jinja templating, sections 4 and 5: a templated field may read params, and a manual "
        "run without a logical date lacks every date of the context but one",
        "extract_nft's endpoint and data must read the run's params with {{ ... }}; save_page "
        "must take its day from the DagRun itself (dag_run has a field that every run fills), "
        "formatted with one of Airflow's date filters",
    ),
    observe=run_templated,
    right=lambda s: bool(s.run) and s.run.state == "success" and s.extract_ok and s.file_ok,
    mistakes=(
        *not_parsed(parsed=lambda s: s.parsed),
        Mistake(
            lambda s: sorted(s.parsed.tasks) != ["extract_nft", "save_page"],
            lambda s: f"Airflow parsed the tasks {sorted(s.parsed.tasks)}",
            fix="keep the two tasks extract_nft and save_page",
        ),
        Mistake(
            lambda s: any("undefined" in e for e in s.errors.values()),
            lambda s: (
                f"{s.story()}\nThis run was triggered without a logical date: a template read "
                "a date this run's context does not have"
            ),
            fix="take the day from what every run has (section 5)",
        ),
        Mistake(
            lambda s: (
                not s.templated("extract_nft", "endpoint") or not s.templated("extract_nft", "data")
            ),
            lambda s: (
                f"{s.story()}\nAirflow stored extract_nft's "
                + " and ".join(
                    f"{name} as plain text ({s.raw.get('extract_nft', {}).get(name)!r})"
                    for name in ("endpoint", "data")
                    if not s.templated("extract_nft", name)
                )
                + f": it cannot follow the run's conf (limit={EX2_LIMIT})"
            ),
            fix="write both fields as Jinja templates that read params",
        ),
        Mistake(
            lambda s: not s.extract_ok,
            lambda s: f"{s.story()}\nthe run asked for {EX2_LIMIT} NFTs of doodles-official",
            fix="read params.collection and params.limit in the two fields",
        ),
    ),
    explain=lambda s: (
        f"{s.story()}\nsave_page should name the file after the run's day: {s.file_name}"
    ),
    fix="read the day from the DagRun's own date that every run has",
    success=lambda s: (
        f"{s.story()}\nThe fields followed conf={{'limit': {EX2_LIMIT}}}, and save_page named "
        "its file after a date that a manual run has too."
    ),
)
