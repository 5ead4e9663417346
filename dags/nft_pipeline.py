"""
# nft-pipeline: the study note's NFT pipeline, fixed for Airflow 3

Once a day this DAG reads one page of NFTs of an OpenSea collection and keeps
their token id, name and image URL in the `nfts` table of PostgreSQL:

`creating_table >> is_api_available >> extract_nft >> process_nft >> store_nft`

It is the seed's DAG (written for Airflow 2.3) with every defect fixed:

| seed | here |
| --- | --- |
| `PostgresOperator`, `SimpleHttpOperator`, `airflow.operators.*` (removed in Airflow 3) | `SQLExecuteQueryOperator`, `HttpOperator`, the standard provider's `PythonOperator` |
| `schedule_interval=`, naive `datetime(2021, 1, 1)` | `schedule=`, a UTC `start_date` |
| `CREATE TABLE IF NOT EXIXTS` (a syntax error) | `IF NOT EXISTS` |
| OpenSea API v1 (retired), no API key | API v2; the key travels as the `x-api-key` header from the `opensea_api` connection's extra, never from this file |
| `/tmp/processed_nft.csv` handed between tasks | the rows travel by XCom, so tasks may run on different workers |
| `postgre` (no such command) and `.import` into a hard-coded user path | one SQL statement through the `db_postgre` connection |
| CSV that breaks on commas, quotes and newlines in names | the rows travel as JSON and are stored exactly |
| a rerun fails on the primary key | `INSERT ... ON CONFLICT (token_id) DO UPDATE`: a rerun updates |

**Waiting for the API.** `is_api_available` pokes every 2 s for up to 60 s. A
429 or 5xx answer, a refused connection or a timeout mean "not ready yet, poke
again"; any other 4xx (a wrong key or slug) fails at once, since waiting cannot
fix it. `extract_nft` retries twice, 3 s apart, and fails clearly on malformed
JSON.

Trigger it with `collection` (an OpenSea slug) and `limit` (1 to 200 NFTs) to
read another collection or page size.

**Bad input.** A response that is not a JSON object with an `nfts` list, and a
page without NFTs, fail `process_nft` with a message naming the collection;
nothing is written. Single bad records do not stop the load: a record without an
identifier is skipped; a missing, null or non-text `name`/`image_url` is stored
as `""` (the table says NOT NULL); characters PostgreSQL text cannot hold (NUL,
lone surrogates) become U+FFFD; when an identifier repeats on a page, the last
record wins. Each of these is logged with its token id (or record index).

**Limit.** The table keeps the seed's schema: `token_id` is the key, so two
collections that share token ids overwrite each other's rows.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.providers.http.operators.http import HttpOperator
from airflow.providers.http.sensors.http import HttpSensor
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, Param
from airflow.sdk.exceptions import AirflowFailException

log = logging.getLogger(__name__)

# OpenSea API v2: one page of a collection's NFTs. The slug comes from the DAG's
# params; for a GET, HttpOperator's `data` becomes the query string (?limit=N).
# seed: api/v1/assets?collection=doodles-official&limit=1 (v1 is retired)
NFTS_ENDPOINT = "api/v2/collection/{{ params.collection }}/nfts"

# [START nft_sql]
# seed: "IF NOT EXIXTS" was a syntax error, so the seed's first task always failed.
CREATE_TABLE_SQL = """
CREATE TABLE IF NOT EXISTS nfts (
    token_id  TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    image_url TEXT NOT NULL
)
"""

# One statement, so one transaction: the page is stored completely or not at all.
# The rows arrive as ONE JSON parameter, %(rows)s: the driver passes it as a value,
# never as SQL, so commas, quotes, newlines or "'); DROP TABLE nfts;--" stay text.
# ON CONFLICT makes a rerun of the same day update rows instead of failing on the
# primary key; the WHERE skips rows that did not change.
UPSERT_SQL = """
INSERT INTO nfts (token_id, name, image_url)
SELECT token_id, name, image_url
FROM json_to_recordset(%(rows)s::json) AS page(token_id TEXT, name TEXT, image_url TEXT)
ON CONFLICT (token_id) DO UPDATE
    SET name = EXCLUDED.name, image_url = EXCLUDED.image_url
    WHERE (nfts.name, nfts.image_url) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.image_url)
"""
# [END nft_sql]

# NUL and lone surrogates: PostgreSQL text (and its JSON parser) cannot hold them.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _describe(value: Any) -> str:
    """What a JSON value is, for error messages (never the whole value)."""
    if isinstance(value, dict):
        return f"an object with keys {sorted(map(str, value))[:10]}"
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    if value is None:
        return "null"
    return f"{type(value).__name__} {str(value)[:60]!r}"


def _storable_text(value: Any) -> tuple[str, str | None]:
    """A value as text PostgreSQL can store, plus what was wrong with it (None: nothing)."""
    if value is None:
        return "", "is missing or null"
    if not isinstance(value, str):
        return "", f"is not text ({_describe(value)})"
    cleaned = _UNSTORABLE.sub("\ufffd", value)
    if cleaned != value:
        return cleaned, "had NUL or lone surrogate characters, replaced with U+FFFD"
    return value, None


# [START process_nfts]
def process_nfts(
    payload: Any, collection: str | None = None
) -> tuple[list[dict[str, str]], list[str]]:
    """Turn one OpenSea v2 page into rows for the ``nfts`` table.

    Returns ``(rows, problems)``: ``rows`` is a list of ``{"token_id", "name",
    "image_url"}`` dicts of strings, at most one per token id; ``problems`` lists,
    in words, every record that was skipped or changed.

    Bad input:

    * ``payload`` not a dict with an ``nfts`` list -> ``ValueError`` saying what arrived;
    * an empty page, or no record with an identifier -> ``ValueError`` naming the collection;
    * a record without an identifier (or not an object) -> skipped, reported by its index;
    * ``name``/``image_url`` missing, null or not text -> stored as ``""`` (the table
      says NOT NULL), reported by token id;
    * NUL or lone surrogate characters -> replaced with U+FFFD, reported by token id;
    * the same identifier twice -> the last record wins, reported by token id.

    Integer identifiers are turned into text first ("5", never "5.0").
    """
    from pandas import json_normalize  # heavy import: only when the task runs

    where = f"collection {collection!r}" if collection else "the collection"
    if not isinstance(payload, dict) or not isinstance(payload.get("nfts"), list):
        got = _describe(payload)
        if isinstance(payload, dict):
            got += f" ('nfts' is {_describe(payload.get('nfts'))})"
        raise ValueError(
            f"expected OpenSea's v2 response for {where}, a JSON object with an 'nfts' list; "
            f"got {got}"
        )
    nfts = payload["nfts"]
    if not nfts:
        raise ValueError(f"OpenSea returned an empty page for {where}: no NFTs, nothing stored")

    problems: list[str] = []
    records: list[dict[str, Any]] = []
    for index, nft in enumerate(nfts):
        if not isinstance(nft, dict):
            problems.append(f"record {index}: not an NFT object ({_describe(nft)}), skipped")
            continue
        identifier = nft.get("identifier")
        if isinstance(identifier, int) and not isinstance(identifier, bool):
            identifier = str(identifier)
        if not isinstance(identifier, str) or not identifier.strip():
            problems.append(f"record {index}: no identifier, skipped")
            continue
        token_id, issue = _storable_text(identifier)
        if issue:
            problems.append(f"token {token_id!r}: identifier {issue}")
        record = {"record": index, "token_id": token_id}
        for field in ("name", "image_url"):
            record[field], issue = _storable_text(nft.get(field))
            if issue:
                problems.append(f"token {token_id!r}: {field} {issue}, stored as {record[field]!r}")
        records.append(record)
    if not records:
        raise ValueError(
            f"none of the {len(nfts)} records on the page for {where} has an identifier: "
            "nothing stored"
        )

    # seed: json_normalize made a one-row table of one NFT; here it makes the
    # table of the whole page, and pandas finds the repeated token ids.
    table = json_normalize(records)
    repeated = table.duplicated(subset="token_id", keep="last")
    for token_id, index in table.loc[repeated, ["token_id", "record"]].itertuples(index=False):
        problems.append(f"token {token_id!r}: repeated on the page, record {index} dropped")
    table = table.drop_duplicates(subset="token_id", keep="last")
    rows = table[["token_id", "name", "image_url"]].to_dict(orient="records")
    return [{key: str(value) for key, value in row.items()} for row in rows], problems


# [END process_nfts]


def _processing_nft(ti, params) -> list[dict[str, str]]:
    """The ``process_nft`` task: pull the page, make rows, return them as this task's XCom."""
    # Airflow 3: one task id (a string) returns the value itself, not a list of values.
    # seed: ti.xcom_pull(task_ids=['extract_nft'])[0]
    payload = ti.xcom_pull(task_ids="extract_nft")
    try:
        rows, problems = process_nfts(payload, collection=params["collection"])
    except ValueError as exc:
        # Bad data stays bad: fail now instead of retrying.
        raise AirflowFailException(str(exc)) from exc
    for problem in problems:
        log.warning("%s", problem)
    log.info("%d NFTs ready to store, %d problem(s) reported", len(rows), len(problems))
    return rows  # the XCom: a list of {"token_id", "name", "image_url"} dicts


def _api_ready(response) -> bool:
    """The sensor's check: 200 is ready; 429, 408 and 5xx mean "poke again"; other 4xx fail."""
    status = response.status_code
    if status == 200:
        return True
    if 400 <= status < 500 and status not in (408, 425, 429):
        # A wrong key (401/403) or slug (400/404) does not fix itself by waiting.
        raise AirflowFailException(
            f"OpenSea answered HTTP {status} {response.reason}: check the opensea_api "
            "connection (host, and the x-api-key in its extra) and the collection slug"
        )
    log.info("OpenSea answered HTTP %s %s; poking again", status, response.reason)
    return False


def _json_or_fail(response) -> Any:
    """``extract_nft``'s response filter: the parsed JSON, or a clear error."""
    try:
        return response.json()
    except ValueError as exc:  # requests' JSONDecodeError is a ValueError
        raise ValueError(
            f"OpenSea returned malformed JSON (HTTP {response.status_code}, "
            f"{len(response.content)} bytes, starting {response.text[:80]!r})"
        ) from exc


default_args = {
    "retries": 2,
    "retry_delay": timedelta(seconds=3),
}

with DAG(
    dag_id="nft-pipeline",
    schedule="@daily",  # seed: schedule_interval= (removed in Airflow 3)
    start_date=datetime(2021, 1, 1, tzinfo=UTC),  # seed: naive datetime
    catchup=False,
    default_args=default_args,
    tags=["nft"],
    params={
        # A slug goes into the URL path: letters, digits, "-" and "_" only.
        "collection": Param(
            "doodles-official", type="string", pattern="^[A-Za-z0-9_-]+$", maxLength=100
        ),
        "limit": Param(20, type="integer", minimum=1, maximum=200),
    },
    doc_md=__doc__,
) as dag:
    # seed: PostgresOperator (removed in Airflow 3) -> SQLExecuteQueryOperator
    creating_table = SQLExecuteQueryOperator(
        task_id="creating_table",
        conn_id="db_postgre",
        sql=CREATE_TABLE_SQL,
    )

    # The key is not here: HttpHook turns the connection's extra JSON,
    # {"x-api-key": "..."}, into request headers.
    is_api_available = HttpSensor(
        task_id="is_api_available",
        http_conn_id="opensea_api",
        endpoint=NFTS_ENDPOINT,
        request_params={"limit": 1},
        # check_response=False: the hook returns every response instead of raising on
        # 4xx/5xx (which would fail the sensor), and _api_ready decides. So the
        # response_error_codes_allowlist never comes into play.
        extra_options={"check_response": False, "timeout": 10},
        response_check=_api_ready,
        # A refused connection or a timeout raises before _api_ready runs:
        # silent_fail logs it and pokes again, until `timeout` ends the wait.
        silent_fail=True,
        poke_interval=2,
        timeout=60,
        mode="poke",
    )

    # seed: SimpleHttpOperator (removed) -> HttpOperator; json.loads(res.text) -> .json()
    extract_nft = HttpOperator(
        task_id="extract_nft",
        http_conn_id="opensea_api",
        method="GET",
        endpoint=NFTS_ENDPOINT,
        data={"limit": "{{ params.limit }}"},
        response_filter=_json_or_fail,
        extra_options={"timeout": 10},
        log_response=True,  # logs the response body only, never the request headers
        execution_timeout=timedelta(minutes=2),
    )

    # seed: airflow.operators.python (moved) -> the standard provider
    process_nft = PythonOperator(
        task_id="process_nft",
        python_callable=_processing_nft,
    )

    # seed: BashOperator piping a CSV into `postgre` (no such command) -> one SQL statement.
    # Jinja's tojson turns the XCom into one JSON string parameter.
    store_nft = SQLExecuteQueryOperator(
        task_id="store_nft",
        conn_id="db_postgre",
        sql=UPSERT_SQL,
        parameters={"rows": "{{ ti.xcom_pull(task_ids='process_nft') | tojson }}"},
    )

    creating_table >> is_api_available >> extract_nft >> process_nft >> store_nft
