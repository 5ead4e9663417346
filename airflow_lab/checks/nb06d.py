"""Checkers for notebook 06d · Task 4: ``process_nft``.

Exercise 1 is an ``airflow`` command: the checker runs it with the lab's
configuration (``lab.airflow_watch``, never a shell) and reads what Airflow did:
which DagRun the task ran in, whether a temporary DagRun came and went, and what
``xcom_pull`` found. Exercise 2 is a DAG file whose ``process`` task turns the
``partial`` fault's spoiled page into rows; the checker runs it and compares the
rows Airflow stored as its XCom with what the kit's ``process_nfts`` keeps.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airflow_lab.checks import Exercise, Mistake, nb06b, nb06c

PAGE = "/api/v2/collection/{slug}/nfts"
TEMPORARY = "__airflow_temporary_run_"
WATCH_TEMPORARY_RUNS = (
    "SELECT run_id FROM dag_run WHERE dag_id = 'nft-pipeline' "
    f"AND starts_with(run_id, '{TEMPORARY}')"
)


@functools.cache
def _dag_module(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location("nb06d_nft_pipeline", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def process_nfts(lab: Any, payload: Any) -> tuple[list[dict], list[str]]:
    """The DAG file's ``process_nfts``, applied to ``payload``."""
    module = _dag_module(lab.settings.dags_folder / "nft_pipeline.py")
    return module.process_nfts(payload, collection=lab.settings.collection)


# ---- exercise 1: the command that runs one task inside an existing run ----
@dataclass
class CommandSeen:
    """What Airflow did with the learner's command."""

    words: list[str]
    #: Why the checker did not run it (not an ``airflow tasks test`` of process_nft).
    refused: str = ""
    returncode: int | None = None
    #: The run id the task ran in, from ``[DAG TEST] running task <TaskInstance: …>``.
    ran_in: str | None = None
    #: Temporary DagRuns seen in ``dag_run`` while the command ran.
    temporary: list[str] = field(default_factory=list)
    final_state: str | None = None
    #: The task's own summary line, or the error that ended it.
    said: str = ""

    @property
    def found_xcom(self) -> bool:
        return "NFTs ready to store" in self.said

    def story(self) -> str:
        where = (
            f"in a temporary DagRun it created and deleted ({self.ran_in})"
            if self.ran_in and self.ran_in.startswith(TEMPORARY)
            else f"inside the existing run {self.ran_in}"
            if self.ran_in
            else "in no run Airflow named"
        )
        return (
            f"`{shlex.join(self.words)}` (exit {self.returncode}) ran process_nft {where}; "
            f"its state became {self.final_state}; the task said: {self.said or '(nothing)'}"
        )


def run_command(answer: str, lab: Any) -> CommandSeen:
    words = shlex.split(answer.strip().lstrip("$ "))
    seen = CommandSeen(words)
    if words[:1] != ["airflow"]:
        seen.refused = "that is not an `airflow ...` command"
    elif words[1:3] == ["dags", "test"]:
        seen.refused = (
            "`airflow dags test` runs every task of the DAG in a new DagRun of its own "
            "(section 4.5): right to test the chain, but the exercise asks for one task "
            "inside a run that already exists"
        )
    elif words[1:3] != ["tasks", "test"]:
        seen.refused = f"`airflow {' '.join(words[1:3])}` does not run a task in-process"
    elif words[3:5] != [lab.settings.dag_id, "process_nft"]:
        seen.refused = (
            f"that tests {' '.join(words[3:5]) or 'nothing'}: the command names the DAG id, "
            "then the task id"
        )
    elif len(words) < 6:
        seen.refused = "without a run id or logical date, Airflow would make a temporary run"
    if seen.refused:
        return seen
    # The scheduler must not run the other tasks of a run the test creates (section 4.2).
    lab.runs.wait_until_idle(lab.settings.dag_id)
    lab.api.set_paused(lab.settings.dag_id, True)
    result, rows = lab.airflow_watch(WATCH_TEMPORARY_RUNS, *words[1:], timeout=240)
    seen.returncode = result.returncode
    seen.temporary = sorted(rows["run_id"]) if len(rows) else []
    match = re.search(r"<TaskInstance: \S+\.process_nft (\S+)", result.output)
    seen.ran_in = match.group(1) if match else None
    states = re.findall(r"new_state=(\w+)", result.output)
    seen.final_state = states[-1] if states else None
    said = result.grep("NFTs ready to store", "AirflowFailException:", "Error:", "error:")
    last = said[-1].strip() if said else ""
    event = re.search(r"\[\w+\s*\] (.*?)\s+\[[\w.]+\]", last)  # the log event, no stamps
    seen.said = (event.group(1) if event else last)[:200]
    return seen


exercise_1 = Exercise(
    "exercise_1",
    answer=str,
    hints=(
        "`airflow tasks test`, sections 4.2 and 4.4: it looks for an existing DagRun first, "
        "and only makes (and deletes) a temporary one when it finds none",
        "name the DAG, the task, and then a run in which extract_nft succeeded: section 4.3 "
        "made one and printed its run id; section 4.5 shows the other form Airflow accepts",
    ),
    observe=run_command,
    right=lambda s: (
        not s.refused
        and bool(s.ran_in)
        and not s.ran_in.startswith(TEMPORARY)
        and s.final_state == "success"
        and s.found_xcom
    ),
    mistakes=(
        Mistake(lambda s: bool(s.refused), "{refused}", fix="reread section 4.4"),
        Mistake(
            lambda s: bool(s.ran_in) and s.ran_in.startswith(TEMPORARY),
            lambda s: (
                f"{s.story()}\nAirflow found no run for {s.words[5]!r}, so xcom_pull "
                "had nothing to find"
            ),
            fix="give the run id (or the logical date) of a run where extract_nft succeeded",
        ),
        Mistake(
            lambda s: s.ran_in is None,
            lambda s: f"{s.story()}\nAirflow did not start the task",
            fix="check the run id: copy it from section 4.3's output",
        ),
    ),
    explain=lambda s: f"{s.story()}\nThe task did not find extract_nft's page",
    fix="pick a run where extract_nft succeeded",
    success=lambda s: (
        f"{s.story()}\nNo temporary run was made "
        f"({len(s.temporary)} seen): the task pulled the run's own XCom."
    ),
)


# ---- exercise 2: a process task that survives the spoiled page ----
@dataclass
class RowsSeen(nb06c.Seen):
    """The run of the learner's DAG, and the rows its ``process`` task stored."""

    #: token_id -> (name, image_url), as the kit's process_nfts keeps them.
    wanted: dict[str, tuple] = field(default_factory=dict)

    @property
    def rows(self) -> list[dict]:
        value = self.xcom
        if isinstance(value, list) and all(isinstance(r, dict) for r in value):
            return value
        return []

    @property
    def ids(self) -> list:
        return [r.get("token_id") for r in self.rows]

    @property
    def nulls(self) -> list:
        return [
            r.get("token_id")
            for r in self.rows
            if any(r.get(k) is None for k in ("token_id", "name", "image_url"))
        ]

    @property
    def repeated(self) -> list:
        return sorted({str(i) for i in self.ids if self.ids.count(i) > 1})

    @property
    def different(self) -> list[str]:
        got = {str(r.get("token_id")): (r.get("name"), r.get("image_url")) for r in self.rows}
        keys = set(got) | set(self.wanted)
        return sorted((k for k in keys if got.get(k) != self.wanted.get(k)), key=_numeric)


def _numeric(token: str) -> tuple:
    return (0, int(token)) if token.isdigit() else (1, token)


PROCESS_DAG = "ex06d_2_process_partial"


def run_process_dag(source: str, lab: Any) -> RowsSeen:
    base = nb06c.run_and_read(lab, source, PROCESS_DAG, "process")
    seen = RowsSeen(**vars(base))
    if seen.run is not None:
        slug = lab.settings.collection
        page = lab.nft.get(PAGE.format(slug=slug), limit=10, fault="partial").json()
        rows, _problems = process_nfts(lab, page)
        seen.wanted = {r["token_id"]: (r["name"], r["image_url"]) for r in rows}
    return seen


exercise_2 = Exercise(
    "exercise_2",
    answer=str,
    hints=(
        "section 4.8: the rules for a spoiled page (a record is repaired or skipped, and "
        "the page still loads); the task returns its rows, which Airflow stores as its XCom",
        "walk the page's 'nfts' records yourself: skip one without an identifier, let a "
        "later record with the same identifier replace the earlier one (a dict keyed by "
        "identifier does that), and turn a missing or null name or image_url into ''",
    ),
    observe=run_process_dag,
    right=lambda s: s.succeeded and bool(s.rows) and not s.different,
    mistakes=(
        *nb06b.NOT_PARSED,
        nb06c.SLOW_RETRIES,
        Mistake(
            lambda s: s.run is not None and s.run.state != "success",
            lambda s: f"the run failed: {s.story()}",
            fix="the log's last lines say which record broke your code",
        ),
        Mistake(
            lambda s: not s.rows,
            lambda s: f"Airflow stored {s.xcom_kind} as process's XCom, not a list of rows",
            fix="return one {token_id, name, image_url} dict per NFT",
        ),
        Mistake(
            lambda s: bool(s.nulls),
            lambda s: (
                f"Airflow stored rows with null values (token ids {s.nulls}): the nfts "
                "table says NOT NULL"
            ),
            fix="store a missing name or image_url as ''",
        ),
        Mistake(
            lambda s: bool(s.repeated),
            lambda s: f"token(s) {s.repeated} appear twice among the {len(s.rows)} rows stored",
            fix="keep one row per token id, the last record's",
        ),
    ),
    explain=lambda s: (
        f"Airflow stored {len(s.rows)} rows; the rows of token(s) "
        f"{s.different} are not what the rules of section 4.8 keep"
    ),
    fix="compare those tokens' records on the spoiled page with your rows",
    success=lambda s: (
        f"{s.story()}\nAirflow stored {len(s.rows)} rows from the spoiled "
        "page of 10: each one as the rules keep it."
    ),
)
