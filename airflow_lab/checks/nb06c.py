"""Checkers for notebook 06c · ``extract_nft``: HttpOperator and XCom.

Exercises 1 and 3 are DAG files: the checker writes the learner's source into the
learner bundle, waits for its parse, runs it against the local NFT API (exercise 3
with the ``empty`` fault on for one request) and reads what Airflow kept: the
task's tries, its log and the XCom it pushed. Exercise 2 asks a fact about
Airflow and looks for it among the metastore's ``xcom`` rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from airflow_lab.checks import Exercise, Mistake, nb06b, observe

DAG_ID = "nft-pipeline"
#: The page size both exercise DAGs ask for.
LIMIT = 5


@dataclass
class Seen(nb06b.Seen):
    """A run of the learner's DAG, with the XCom its task pushed (``None``: none)."""

    xcom: Any = None
    #: The identifiers of the first page of LIMIT NFTs, read from the API by the checker.
    expected_ids: list[str] = field(default_factory=list)

    @property
    def xcom_kind(self) -> str:
        value = self.xcom
        if value is None:
            return "no XCom"
        if isinstance(value, str):
            return f"a string of {len(value)} characters, starting {value[:40]!r}"
        if isinstance(value, dict):
            return f"a dict with keys {sorted(value)}"
        if isinstance(value, list):
            kinds = sorted({type(v).__name__ for v in value})
            return f"a list of {len(value)} item(s) of type {', '.join(kinds) or '-'}"
        return f"a {type(value).__name__}"

    @property
    def nfts_pushed(self) -> int | None:
        if isinstance(self.xcom, dict) and isinstance(self.xcom.get("nfts"), list):
            return len(self.xcom["nfts"])
        return None


def run_and_read(
    lab: Any, source: str, dag_id: str, task_id: str, fault: str | None = None
) -> Seen:
    """Parse the learner's DAG, run it (with ``fault`` on for one request), read the XCom."""
    parsed = observe.parse_dag_file(lab, f"{dag_id}.py", source, dag_id)
    seen = Seen(parsed, task_id)
    if parsed.import_error or parsed.missing or task_id not in parsed.tasks:
        return seen
    if parsed.tasks[task_id].get("retries"):
        seen.retry_delay = nb06b._seconds(parsed.tasks[task_id].get("retry_delay"))
        if (seen.retry_delay or 0) > 20:
            return seen  # the checker would wait minutes: say so before any run
    page = lab.nft.get(f"/api/v2/collection/{lab.settings.collection}/nfts", limit=LIMIT)
    seen.expected_ids = [str(n["identifier"]) for n in page.json()["nfts"]]
    lab.runs.wait_until_idle(lab.settings.dag_id)
    lab.runs.wait_until_idle(dag_id)
    seen.run, seen.stopped, seen.log = nb06b.run_once(lab, dag_id, task_id, fault, 1)
    seen.xcom = stored_xcom(lab, dag_id, seen.run.run_id, task_id)
    return seen


def stored_xcom(lab: Any, dag_id: str, run_id: str, task_id: str) -> Any:
    """The ``return_value`` XCom as the metastore holds it (JSON; ``None``: nothing pushed).

    Read from the ``xcom`` table, not through REST with ``deserialize``, which would
    also parse a pushed *string* that happens to hold JSON.
    """
    rows = lab.sql(
        "SELECT value FROM xcom WHERE dag_id = %s AND run_id = %s AND task_id = %s "
        "AND key = 'return_value' AND map_index = -1",
        (dag_id, run_id, task_id),
        database="airflow",
    )
    return rows["value"].iloc[0] if len(rows) else None


def _task_failed(seen: Seen) -> bool:
    return seen.run is not None and seen.run.state != "success"


SLOW_RETRIES = Mistake(
    lambda s: s.run is None and s.retry_delay is not None,
    lambda s: (
        f"Airflow parsed the task with retry_delay = {s.retry_delay:.0f} s: "
        "the checker would wait that long between tries"
    ),
    fix="set retry_delay to a few seconds",
)

exercise_1 = Exercise(
    "exercise_1",
    answer=str,
    hints=(
        "response_filter, section 1: HttpOperator calls it with the requests.Response "
        "and pushes what it returns as the task's XCom; section 2 shows the v2 page's shape",
        "without a filter the XCom is the body as text; parse the JSON first, then build "
        "a list with the 'identifier' of each entry of the page's 'nfts' list",
    ),
    observe=lambda source, lab: run_and_read(lab, source, "ex06c_1_response_filter", "extract_ids"),
    right=lambda s: (
        s.run is not None
        and s.run.state == "success"
        and isinstance(s.xcom, list)
        and [str(v) for v in s.xcom] == s.expected_ids
    ),
    mistakes=(
        *nb06b.NOT_PARSED,
        SLOW_RETRIES,
        Mistake(
            _task_failed,
            lambda s: f"the task failed: {s.story()}",
            fix="the log's last lines say what your filter raised",
        ),
        Mistake(
            lambda s: isinstance(s.xcom, str),
            lambda s: f"Airflow stored {s.xcom_kind}: the response's text, unparsed",
            fix="give HttpOperator a response_filter",
        ),
        Mistake(
            lambda s: isinstance(s.xcom, dict),
            lambda s: f"Airflow stored {s.xcom_kind}: the whole page",
            fix="return only the identifiers of the page's NFTs",
        ),
        Mistake(
            lambda s: isinstance(s.xcom, list) and any(isinstance(v, dict) for v in s.xcom),
            lambda s: f"Airflow stored {s.xcom_kind}: whole NFT records",
            fix="keep one field of each record",
        ),
    ),
    explain=lambda s: (
        f"Airflow stored {s.xcom_kind}, not the page's {len(s.expected_ids)} identifiers in order"
    ),
    fix="the identifiers are strings, in the order of the page",
    success=lambda s: f"Airflow stored {s.xcom_kind}: the page's identifiers, and nothing else.",
)


def _xcom_keys(answer: str, lab: Any) -> dict:
    rows = lab.sql(
        "SELECT DISTINCT key FROM xcom WHERE dag_id = %s AND task_id = 'extract_nft'",
        (DAG_ID,),
        database="airflow",
    )
    if not len(rows):  # no run has kept an XCom on this stack yet: make one
        lab.runs.wait_until_idle(DAG_ID)
        lab.runs.trigger_and_wait(DAG_ID, conf={"limit": LIMIT})
        return _xcom_keys(answer, lab)
    return {"key": answer.strip(), "keys": set(rows["key"])}


exercise_2 = Exercise(
    "exercise_2",
    answer=str,
    hints=(
        "XCom, section 3: what a task returns is pushed under one fixed key",
        "section 4 read the value through REST; the last part of that path is the key",
    ),
    observe=_xcom_keys,
    right=lambda seen: seen["key"] in seen["keys"],
    mistakes=(
        Mistake(
            lambda seen: seen["key"] == "extract_nft",
            "extract_nft is the task id; an XCom row has a key besides its task id",
            fix="look at the `key` column of the xcom table",
        ),
    ),
    explain="the metastore's xcom table has no row of extract_nft with the key {key!r}",
    fix="reread section 3",
    success="{key!r}: a task's return value is pushed under this key, and "
    "xcom_pull(task_ids=...) reads it by default",
)

exercise_3 = Exercise(
    "exercise_3",
    answer=str,
    hints=(
        "response_check, next to response_filter in section 1: HttpOperator calls it with "
        "the requests.Response, and False fails the try; section 5 shows a failing try",
        "the fault answers 200 with a page whose 'nfts' list is empty: your check parses "
        "the JSON and says whether that list has entries; the skeleton's retry then asks again",
    ),
    observe=lambda source, lab: run_and_read(
        lab, source, "ex06c_3_response_check", "extract_page", fault="empty"
    ),
    right=lambda s: s.succeeded and len(s.states) > 1 and bool(s.nfts_pushed),
    mistakes=(
        *nb06b.NOT_PARSED,
        SLOW_RETRIES,
        Mistake(
            lambda s: s.succeeded and len(s.states) == 1,
            lambda s: (
                f"{s.story()}\nThe empty page passed the first try; Airflow stored {s.xcom_kind}"
            ),
            fix="make the check return False when the page has no NFTs",
        ),
        Mistake(
            lambda s: _task_failed(s) and len(s.states) < 2,
            lambda s: f"{s.story()}\nThe task had one try only",
            fix="keep the skeleton's retries, so a good page can follow the empty one",
        ),
        Mistake(
            _task_failed,
            lambda s: f"every try failed, the good page too: {s.story()}",
            fix="the check must accept a page that has NFTs",
        ),
    ),
    explain=lambda s: f"{s.story()}\nAirflow stored {s.xcom_kind}",
    success=lambda s: (
        f"{s.story()}\nYour check refused the empty page, the retry stored {s.nfts_pushed} NFTs."
    ),
)
