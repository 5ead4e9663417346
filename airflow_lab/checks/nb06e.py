"""Checkers for notebook 06e · Task 5: ``store_nft``.

Both are hands-on: the learner's load runs in a small DAG of the learner bundle and
the checker reads the parse, every try of the store task with its log, and the rows
stored: exercise 1 a load that can run twice, exercise 2 awkward names kept exactly.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass, field
from typing import Any

from airflow_lab.checks import Exercise, Mistake, observe

TABLE_SQL = """CREATE TABLE {table} (
    token_id  TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    image_url TEXT NOT NULL
)"""

# ---- exercise 1: a load that can run twice ----
EX1_DAG_ID = "ex06e_1_idempotent_load"
EX1_TABLE = "ex06e_1_nfts"
_URL = "https://nft-lab.invalid/doodles-official/{}.svg"
#: The first run's page, and the second's: the same tokens, token 3 renamed since.
EX1_FIRST = [
    {"token_id": "1", "name": "Synthetic Doodle #1", "image_url": _URL.format(1)},
    {"token_id": "3", "name": 'Synthetic Doodle #3, "the comma one"', "image_url": _URL.format(3)},
    {
        "token_id": "11",
        "name": "Synthetic Doodle #11\nwith a newline",
        "image_url": _URL.format(11),
    },
    {"token_id": "13", "name": "Robert'); DROP TABLE nfts;--", "image_url": _URL.format(13)},
]
EX1_SECOND = [dict(row) for row in EX1_FIRST]
EX1_SECOND[1]["name"] = "Synthetic Doodle #3, renamed by its owner"

EX1_TEMPLATE = '''"""Exercise 06e-1: your load, run twice (written by airflow_lab.checks.nb06e)."""

from __future__ import annotations

from datetime import UTC, datetime

from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.sdk import DAG, Param

STORE_SQL = {sql!r}

with DAG(
    dag_id="{dag_id}",
    schedule=None,
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["exercise", "06e"],
    params={{"rows": Param([], type="array")}},
) as dag:
    store = SQLExecuteQueryOperator(
        task_id="store",
        conn_id="db_postgre",
        sql=STORE_SQL,
        parameters={{"rows": "{{{{ params.rows | tojson }}}}"}},
    )
'''


@dataclass
class LoadSeen:
    """What Airflow did with a load, run once or twice, and the rows it left."""

    import_error: str | None = None
    runs: list[observe.RunSeen] = field(default_factory=list)
    #: The end of the store task's log in the first run that failed.
    failed_log: str = ""
    rows: list[dict] = field(default_factory=list)
    expected: list[dict] = field(default_factory=list)

    @property
    def states(self) -> list[str]:
        return [run.state for run in self.runs]

    @property
    def first_failed(self) -> bool:
        return bool(self.runs) and self.runs[0].state != "success"

    @property
    def second_failed(self) -> bool:
        return (
            len(self.runs) > 1
            and self.runs[0].state == "success"
            and self.runs[1].state != "success"
        )

    def differing(self) -> list[str]:
        """Token ids whose stored row is not what the last run was given."""
        stored = {row["token_id"]: row for row in self.rows}
        wrong = [r["token_id"] for r in self.expected if stored.get(r["token_id"]) != r]
        extra = [t for t in stored if t not in {r["token_id"] for r in self.expected}]
        return wrong + extra

    def summary(self) -> str:
        return f"runs {' then '.join(self.states) or 'none'}; the table holds {len(self.rows)} rows"


def _fresh_table(lab: Any, table: str) -> None:
    """Start from an empty table, so the exercise can be checked again and again."""
    lab.execute(f"DROP TABLE IF EXISTS {table}")
    lab.execute(TABLE_SQL.format(table=table))


def _stored(lab: Any, table: str) -> list[dict]:
    frame = lab.sql(f"SELECT token_id, name, image_url FROM {table} ORDER BY token_id")
    return frame.to_dict(orient="records")


def _failed_log(lab: Any, run: observe.RunSeen, task_id: str) -> str:
    tail = observe.task_log_tail(lab, run, task_id, lines=60).splitlines()
    tail = [line.strip() for line in tail if line.strip() and not line.startswith("::")]
    words = ("error", "violation", "detail:")
    errors = [line for line in tail if any(w in line.lower() for w in words)]
    return "\n".join(dict.fromkeys(errors[-3:] or tail[-3:]))


def load_twice(sql: str, lab: Any) -> LoadSeen:
    """Put ``sql`` in the exercise DAG, run it with the first page, then the second."""
    parsed = observe.parse_serialized(
        lab, f"{EX1_DAG_ID}.py", EX1_TEMPLATE.format(sql=sql, dag_id=EX1_DAG_ID), EX1_DAG_ID
    )
    if parsed.import_error or parsed.missing:
        return LoadSeen(import_error=parsed.describe())
    _fresh_table(lab, EX1_TABLE)
    seen = LoadSeen(expected=EX1_SECOND)
    for page in (EX1_FIRST, EX1_SECOND):
        run = observe.trigger_and_follow(lab, EX1_DAG_ID, conf={"rows": page}, timeout=300)
        seen.runs.append(run)
        if run.state != "success":
            seen.failed_log = _failed_log(lab, run, "store")
            break
    seen.rows = _stored(lab, EX1_TABLE)
    return seen


exercise_1 = Exercise(
    "exercise_1",
    answer=str,
    hints=(
        "section 5.4 (a rerun changes nothing) and the clause of the kit's statement in "
        "section 5.3 that says what happens when a token is already stored",
        "a plain INSERT is right the first time only. PostgreSQL can be told what to do "
        "instead of failing on the primary key: update the stored row with the values the "
        "statement tried to insert (PostgreSQL calls them EXCLUDED). Write into "
        f"{EX1_TABLE}, reading the rows from the %(rows)s JSON parameter.",
    ),
    observe=load_twice,
    right=lambda seen: seen.states == ["success", "success"] and not seen.differing(),
    mistakes=[
        Mistake(lambda seen: seen.import_error, "{import_error}"),
        Mistake(
            lambda seen: seen.first_failed,
            "the first run already failed: store said\n{failed_log}",
            fix=f"the statement must insert the JSON rows of %(rows)s into {EX1_TABLE} "
            "(section 5.3 shows how json_to_recordset turns them into rows)",
        ),
        Mistake(
            lambda seen: seen.second_failed,
            "the first run stored the page, the second failed on the same tokens: store said\n"
            "{failed_log}",
            fix="a rerun must not fail on the primary key: say what PostgreSQL should do with a "
            "token that is already there (section 5.4)",
        ),
        Mistake(
            lambda seen: (
                seen.states == ["success", "success"]
                and bool(seen.differing())
                and {r["token_id"] for r in seen.rows} == {r["token_id"] for r in seen.expected}
            ),
            lambda seen: (
                "both runs succeeded, but the table still holds the first run's data "
                f"for token(s) {seen.differing()}: the second run did not update a stored token"
            ),
            fix="when a token is already stored, update it with the new values instead of "
            "skipping it (section 5.5 puts a changed row back)",
        ),
    ],
    explain=lambda seen: (
        f"{seen.summary()}; rows not as the last run gave them: {seen.differing()}"
    ),
    success=lambda seen: (
        f"{seen.summary()}, each exactly as the second run gave it: running "
        "the load again updates what changed and fails on nothing"
    ),
)


# ---- exercise 2: a store task for awkward names ----
EX2_DAG_ID = "ex06e_2_awkward_names"
EX2_TABLE = "ex06e_2_nfts"
EX2_LIMIT = 20

EX2_TEMPLATE = '''"""Exercise 06e-2: your store task (written by airflow_lab.checks.nb06e).

`fetch` reads {limit} NFTs from the local API; its XCom is a list of
{{"token_id", "name", "image_url"}} dicts. `store` is the learner's.
"""

from __future__ import annotations

from datetime import UTC, datetime

from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.providers.http.operators.http import HttpOperator
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG


def _rows(response):
    return [
        {{"token_id": n["identifier"], "name": n["name"], "image_url": n["image_url"]}}
        for n in response.json()["nfts"]
    ]


with DAG(
    dag_id="{dag_id}",
    schedule=None,
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["exercise", "06e"],
) as dag:
    fetch = HttpOperator(
        task_id="fetch",
        http_conn_id="opensea_api",
        method="GET",
        endpoint="api/v2/collection/{collection}/nfts",
        data={{"limit": "{limit}"}},
        response_filter=_rows,
        extra_options={{"timeout": 10}},
    )

    # ---- the learner's task ----
{task}
    # ----

    fetch >> store
'''


@dataclass
class StoreSeen(LoadSeen):
    parsed: Any = None
    #: The store task's class, as the parsed DAG names it.
    operator: str = ""


def store_awkward(task: str, lab: Any) -> StoreSeen:
    """Put the learner's ``store`` task after ``fetch``, run the DAG, compare the rows."""
    source = EX2_TEMPLATE.format(
        dag_id=EX2_DAG_ID,
        collection=lab.settings.collection,
        limit=EX2_LIMIT,
        task=textwrap.indent(textwrap.dedent(task).strip("\n"), "    "),
    )
    parsed = observe.parse_serialized(lab, f"{EX2_DAG_ID}.py", source, EX2_DAG_ID)
    if parsed.import_error or parsed.missing:
        return StoreSeen(import_error=parsed.describe(), parsed=parsed)
    seen = StoreSeen(parsed=parsed, operator=parsed.tasks.get("store", {}).get("operator_name", ""))
    if "store" not in parsed.graph:
        return seen
    _fresh_table(lab, EX2_TABLE)
    resp = lab.nft.get(f"/api/v2/collection/{lab.settings.collection}/nfts", limit=EX2_LIMIT)
    resp.raise_for_status()
    seen.expected = [
        {"token_id": n["identifier"], "name": n["name"], "image_url": n["image_url"]}
        for n in resp.json()["nfts"]
    ]
    run = observe.trigger_and_follow(lab, EX2_DAG_ID, timeout=300)
    seen.runs.append(run)
    if run.state != "success":
        failed = next((t for t, _, s in run.tries if s != "success"), "store")
        seen.failed_log = f"{failed}: " + _failed_log(lab, run, failed)
    seen.rows = _stored(lab, EX2_TABLE)
    return seen


def _mangled(seen: StoreSeen) -> str:
    stored = {row["token_id"]: row for row in seen.rows}
    lines = []
    for token in seen.differing()[:3]:
        served = next((r for r in seen.expected if r["token_id"] == token), None)
        got = stored.get(token)
        lines.append(
            f"token {token}: served {json.dumps(served and served['name'], ensure_ascii=False)}, "
            f"stored {json.dumps(got and got['name'], ensure_ascii=False)}"
        )
    return "; ".join(lines)


exercise_2 = Exercise(
    "exercise_2",
    answer=str,
    hints=(
        "section 5.3: how the kit's store_nft hands the rows to PostgreSQL as one value, and "
        "the Jinja expression in its parameters that pulls the upstream task's XCom",
        "the rows are the XCom of the task `fetch` (a list of dicts). Never paste values into "
        "the SQL text; pass them as a parameter that the driver sends as data, and let "
        f"PostgreSQL unpack the JSON into {EX2_TABLE}. The task must be named store.",
    ),
    observe=store_awkward,
    right=lambda seen: (
        bool(seen.runs) and seen.runs[-1].state == "success" and not seen.differing()
    ),
    mistakes=[
        Mistake(lambda seen: seen.import_error, "{import_error}"),
        Mistake(
            lambda seen: not seen.runs,
            lambda seen: f"{seen.parsed.describe()}: there is no task `store`",
            fix="name your task store (task_id='store')",
        ),
        Mistake(
            lambda seen: seen.runs[-1].state != "success",
            lambda seen: (
                f"the run {seen.runs[-1].state}; {seen.runs[-1].describe()}; the log "
                f"says\n{seen.failed_log}"
            ),
            fix="a name with a quote or a comma must travel as data, not as part of the SQL "
            "text (section 5.3)",
        ),
        Mistake(
            lambda seen: len(seen.rows) != len(seen.expected),
            lambda seen: (
                f"the run succeeded, but {EX2_TABLE} holds {len(seen.rows)} rows for "
                f"the {len(seen.expected)} NFTs fetch served"
            ),
            fix="store every row of fetch's XCom, one row per token",
        ),
    ],
    explain=lambda seen: (
        f"the run succeeded, but some names did not arrive intact: {_mangled(seen)}"
    ),
    fix="store each field exactly as served: no splitting, no quoting by hand",
    success=lambda seen: (
        f"Airflow ran fetch >> store ({seen.operator}); all "
        f"{len(seen.rows)} rows equal what the API served, byte for byte, commas, quotes, the "
        "newline and the SQL-looking name included"
    ),
)
