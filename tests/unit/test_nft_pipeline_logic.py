"""The nft-pipeline's logic on awkward data, against a real PostgreSQL and a real HTTP server.

* ``process_nfts``: the bad-input decisions of the DAG's docstring, one by one.
* ``CREATE_TABLE_SQL`` / ``UPSERT_SQL``: every awkward value is stored exactly
  (read back and compared), a rerun updates instead of failing or duplicating,
  and a failing batch leaves the table as it was. The SQL runs with psycopg2
  and with psycopg 3 (what the postgres provider's hook uses when it is
  installed), with the JSON parameter from ``json.dumps`` and with the one the
  ``store_nft`` template renders (Jinja's ``tojson`` escapes ``'<>&``).
* The real tasks (``creating_table``, ``store_nft``, ``is_api_available``,
  ``extract_nft``) executed against those servers through Airflow connections.
"""

from __future__ import annotations

import copy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import psycopg
import psycopg2
import pytest
import requests
from airflow.sdk.exceptions import AirflowFailException, AirflowSensorTimeout

AWKWARD_NAMES = {
    "comma": 'Doodle #3, "the comma one"',
    "double-quote": 'say "hi"',
    "single-quote": "Rock 'n' roll",
    "newline": "line one\nline two\r\nline three",
    "emoji": "🎨🌈✨ with a ZWJ family 👩‍👩‍👧",
    "sql": "'); DROP TABLE nfts;--",
    "korean": "합성 두들 — 아주 긴 이름 " * 20,
    "backslash": "C:\\temp\\new \\u0041 \\\\",
    "percent": "100% %s %(rows)s {{ ti }}",
    "html": "<script>alert('x')</script> & &amp;",
    "empty": "",
    "spaces": "  padded  ",
    "tab": "a\tb",
}


def nft(identifier, name="Doodle", image_url="https://example.invalid/x.png", **extra):
    """One record in OpenSea's v2 shape."""
    record = {
        "identifier": identifier,
        "collection": "doodles-official",
        "contract": "0x000000000000000000000000000000000000d00d",
        "name": name,
        "description": "test record",
        "image_url": image_url,
        "metadata_url": None,
        "updated_at": "2024-01-01T00:00:00.000000",
    }
    record.update(extra)
    return record


def awkward_page() -> dict:
    nfts = [
        nft(str(i), name, f"https://example.invalid/{i}.png?a=1&b='2'")
        for i, name in enumerate(AWKWARD_NAMES.values())
    ]
    return {"nfts": nfts, "next": "cursor-abc"}


def expected_rows(page: dict) -> list[dict[str, str]]:
    return [
        {"token_id": r["identifier"], "name": r["name"], "image_url": r["image_url"]}
        for r in page["nfts"]
    ]


# ---------------------------------------------------------------- process_nfts


def test_a_clean_page_becomes_rows_unchanged(nft_pipeline):
    page = awkward_page()
    rows, problems = nft_pipeline.process_nfts(page, collection="doodles-official")
    assert rows == expected_rows(page)
    assert problems == []
    assert all(type(v) is str for row in rows for v in row.values())


def test_rows_are_json_ready_for_xcom(nft_pipeline):
    rows, _ = nft_pipeline.process_nfts(awkward_page())
    assert json.loads(json.dumps(rows)) == rows


def test_a_record_without_identifier_is_skipped_and_reported_by_index(nft_pipeline):
    page = {
        "nfts": [
            nft("1"),
            {k: v for k, v in nft("x").items() if k != "identifier"},
            nft(None),
            nft(""),
            nft("   "),
            nft(["7"]),
            "not an object",
            nft("2"),
        ]
    }
    rows, problems = nft_pipeline.process_nfts(page, collection="doodles-official")
    assert [r["token_id"] for r in rows] == ["1", "2"]
    for index in (1, 2, 3, 4, 5):
        assert f"record {index}: no identifier, skipped" in problems
    assert any(p.startswith("record 6: not an NFT object") for p in problems)
    assert len(problems) == 6


def test_integer_identifiers_become_text_never_floats(nft_pipeline):
    page = {"nfts": [nft(5), {"name": "no id"}, nft(12345678901234567890)]}
    rows, _ = nft_pipeline.process_nfts(page)
    assert [r["token_id"] for r in rows] == ["5", "12345678901234567890"]


def test_missing_or_null_name_and_image_url_become_empty_text_and_are_reported(nft_pipeline):
    no_name = {k: v for k, v in nft("3").items() if k != "name"}
    page = {"nfts": [nft("1", name=None), nft("2", image_url=None), no_name, nft("4", name=42)]}
    rows, problems = nft_pipeline.process_nfts(page)
    by_id = {r["token_id"]: r for r in rows}
    assert by_id["1"]["name"] == ""
    assert by_id["2"]["image_url"] == ""
    assert by_id["2"]["name"] == "Doodle"
    assert by_id["3"]["name"] == ""
    assert by_id["4"]["name"] == ""
    assert "token '1': name is missing or null, stored as ''" in problems
    assert "token '2': image_url is missing or null, stored as ''" in problems
    assert "token '3': name is missing or null, stored as ''" in problems
    assert any(p.startswith("token '4': name is not text") for p in problems)


def test_empty_strings_are_kept_and_not_reported(nft_pipeline):
    rows, problems = nft_pipeline.process_nfts({"nfts": [nft("1", name="", image_url="")]})
    assert rows == [{"token_id": "1", "name": "", "image_url": ""}]
    assert problems == []


def test_duplicate_identifiers_last_wins_and_is_reported(nft_pipeline):
    page = {"nfts": [nft("1", "first"), nft("2", "two"), nft("1", "second"), nft("1", "third")]}
    rows, problems = nft_pipeline.process_nfts(page)
    assert sorted(rows, key=lambda r: r["token_id"]) == [
        {"token_id": "1", "name": "third", "image_url": "https://example.invalid/x.png"},
        {"token_id": "2", "name": "two", "image_url": "https://example.invalid/x.png"},
    ]
    assert "token '1': repeated on the page, record 0 dropped" in problems
    assert "token '1': repeated on the page, record 2 dropped" in problems


def test_characters_postgres_cannot_store_are_replaced_and_reported(nft_pipeline):
    page = {"nfts": [nft("1", name="nul\x00inside"), nft("2", image_url="lone \ud800 surrogate")]}
    rows, problems = nft_pipeline.process_nfts(page)
    assert rows[0]["name"] == "nul\ufffdinside"
    assert rows[1]["image_url"] == "lone \ufffd surrogate"
    assert any(p.startswith("token '1': name had NUL") for p in problems)
    assert any(p.startswith("token '2': image_url had NUL") for p in problems)


def test_an_empty_page_fails_naming_the_collection(nft_pipeline):
    with pytest.raises(ValueError, match="empty page for collection 'doodles-official'"):
        nft_pipeline.process_nfts({"nfts": [], "next": None}, collection="doodles-official")


def test_a_page_without_any_identifier_fails(nft_pipeline):
    with pytest.raises(ValueError, match=r"none of the 2 records .* 'cryptopunks'"):
        nft_pipeline.process_nfts({"nfts": [nft(None), nft("")]}, collection="cryptopunks")


@pytest.mark.parametrize(
    ("payload", "said"),
    [
        (None, "got null"),
        ([nft("1")], "got a list of 1 items"),
        ("<html>rate limited</html>", "got str '<html>rate limited</html>'"),
        ({"assets": [{"token_id": "1"}]}, "keys ['assets']"),  # the retired v1 shape
        ({"nfts": {"identifier": "1"}}, "'nfts' is an object"),
        ({"nfts": None}, "'nfts' is null"),
    ],
)
def test_a_payload_of_the_wrong_shape_fails_saying_what_arrived(nft_pipeline, payload, said):
    with pytest.raises(ValueError, match="an 'nfts' list") as caught:
        nft_pipeline.process_nfts(payload, collection="doodles-official")
    assert said in str(caught.value)
    assert "'doodles-official'" in str(caught.value)


class FakeTI:
    """Just enough of a task instance for the callables: xcom_pull by one task id."""

    def __init__(self, xcoms: dict):
        self.xcoms = xcoms
        self.pulled: list = []

    def xcom_pull(self, task_ids=None, **_):
        self.pulled.append(task_ids)
        return self.xcoms[task_ids]


def test_process_nft_task_pulls_one_task_id_and_returns_rows(nft_pipeline, caplog):
    page = {"nfts": [nft("1"), nft("2", name=None), nft(None)]}
    ti = FakeTI({"extract_nft": page})
    with caplog.at_level("INFO"):
        rows = nft_pipeline._processing_nft(ti, {"collection": "doodles-official", "limit": 20})
    assert ti.pulled == ["extract_nft"]  # a string: Airflow 3 returns the value itself
    assert [r["token_id"] for r in rows] == ["1", "2"]
    assert "token '2': name is missing or null" in caplog.text
    assert "record 2: no identifier, skipped" in caplog.text


@pytest.mark.parametrize("payload", [{"nfts": []}, None, {"detail": "Unauthorized"}])
def test_process_nft_task_fails_without_retry_on_bad_data(nft_pipeline, payload):
    ti = FakeTI({"extract_nft": payload})
    with pytest.raises(AirflowFailException, match="doodles-official"):
        nft_pipeline._processing_nft(ti, {"collection": "doodles-official", "limit": 20})


def make_response(status: int, body: bytes, reason: str = "") -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.reason = reason
    response._content = body
    return response


def test_malformed_json_fails_with_a_clear_message(nft_pipeline):
    response = make_response(200, b"<html>gateway hiccup</html>")
    with pytest.raises(ValueError, match="malformed JSON") as caught:
        nft_pipeline._json_or_fail(response)
    assert isinstance(caught.value.__cause__, ValueError)
    assert nft_pipeline._json_or_fail(make_response(200, b'{"nfts": []}')) == {"nfts": []}


@pytest.mark.parametrize(
    ("status", "ready"), [(200, True), (204, False), (429, False), (500, False), (503, False)]
)
def test_sensor_check_waits_on_429_and_5xx(nft_pipeline, status, ready):
    assert nft_pipeline._api_ready(make_response(status, b"{}")) is ready


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_sensor_check_fails_fast_when_waiting_cannot_help(nft_pipeline, status):
    with pytest.raises(AirflowFailException, match=f"HTTP {status}"):
        nft_pipeline._api_ready(make_response(status, b"{}", "Nope"))


# ---------------------------------------------------------------- the SQL


def rows_param_json_dumps(rows, _nft_pipeline=None) -> str:
    return json.dumps(rows)


def rows_param_as_rendered(rows, nft_pipeline) -> str:
    """The exact parameter ``store_nft`` sends: its own template, rendered."""
    task = copy.copy(nft_pipeline.dag.get_task("store_nft"))
    context = {"ti": FakeTI({"process_nft": rows}), "params": {}}
    task.render_template_fields(context, jinja_env=nft_pipeline.dag.get_template_env())
    return task.parameters["rows"]


DRIVERS = {"psycopg2": psycopg2.connect, "psycopg3": psycopg.connect}
PARAMS = {"json.dumps": rows_param_json_dumps, "rendered": rows_param_as_rendered}


@pytest.fixture(params=sorted(DRIVERS))
def db(request, pg_url, nft_pipeline):
    """A connection (autocommit off, like the hook) to a fresh ``nfts`` table."""
    conn = DRIVERS[request.param](pg_url)
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS nfts")
        cur.execute(nft_pipeline.CREATE_TABLE_SQL)
        cur.execute(nft_pipeline.CREATE_TABLE_SQL)  # IF NOT EXISTS: a rerun is fine
    conn.commit()
    yield conn
    conn.rollback()
    conn.close()


@pytest.fixture(params=sorted(PARAMS))
def rows_param(request, nft_pipeline):
    make = PARAMS[request.param]
    return lambda rows: make(rows, nft_pipeline)


def store(conn, nft_pipeline, param: str) -> None:
    """What store_nft does: one statement, then commit; roll back on error."""
    try:
        with conn.cursor() as cur:
            cur.execute(nft_pipeline.UPSERT_SQL, {"rows": param})
        conn.commit()
    except Exception:
        conn.rollback()
        raise


def table(conn) -> dict[str, tuple[str, str]]:
    with conn.cursor() as cur:
        cur.execute("SELECT token_id, name, image_url FROM nfts")
        result = {token_id: (name, image_url) for token_id, name, image_url in cur.fetchall()}
    conn.commit()
    return result


def as_table(rows) -> dict[str, tuple[str, str]]:
    return {r["token_id"]: (r["name"], r["image_url"]) for r in rows}


def test_the_rendered_parameter_is_the_rows_as_json(nft_pipeline):
    rows, _ = nft_pipeline.process_nfts(awkward_page())
    rendered = rows_param_as_rendered(rows, nft_pipeline)
    assert json.loads(rendered) == rows
    assert "'" not in rendered  # tojson escapes quotes; PostgreSQL's JSON parser undoes it


def test_awkward_values_are_stored_exactly(db, rows_param, nft_pipeline):
    page = awkward_page()
    page["nfts"] += [
        nft("null-name", name=None),
        {"identifier": "bare"},
        nft(None, name="no id"),
        nft("dup", "old"),
        nft("dup", "new"),
        nft("nul", name="a\x00b"),
    ]
    rows, problems = nft_pipeline.process_nfts(page)
    store(db, nft_pipeline, rows_param(rows))
    stored = table(db)
    assert stored == as_table(rows)
    assert stored["dup"][0] == "new"
    assert stored["null-name"] == ("", "https://example.invalid/x.png")
    assert stored["bare"] == ("", "")
    assert stored["nul"][0] == "a\ufffdb"
    for token_id, name in enumerate(AWKWARD_NAMES.values()):
        assert stored[str(token_id)][0] == name
    assert len(problems) == 6


def test_the_sql_looking_name_is_only_text(db, rows_param, nft_pipeline):
    rows = [{"token_id": "13", "name": "'); DROP TABLE nfts;--", "image_url": "x"}]
    store(db, nft_pipeline, rows_param(rows))
    assert table(db) == as_table(rows)


def test_ten_thousand_rows_are_stored_exactly(db, rows_param, nft_pipeline):
    names = list(AWKWARD_NAMES.values())
    page = {
        "nfts": [
            nft(str(i), f"{names[i % len(names)]} #{i}", f"https://example.invalid/{i}.png")
            for i in range(10_000)
        ]
    }
    rows, problems = nft_pipeline.process_nfts(page)
    assert problems == []
    assert len(rows) == 10_000
    store(db, nft_pipeline, rows_param(rows))
    assert table(db) == as_table(rows)


def test_a_rerun_updates_and_never_duplicates(db, rows_param, nft_pipeline):
    rows, _ = nft_pipeline.process_nfts(awkward_page())
    store(db, nft_pipeline, rows_param(rows))
    first = table(db)

    store(db, nft_pipeline, rows_param(rows))  # the same logical date again
    assert table(db) == first

    changed = [dict(r) for r in rows]
    changed[0]["name"] = "renamed, with 'quotes'"
    changed[1]["image_url"] = "https://example.invalid/new.png"
    store(db, nft_pipeline, rows_param(changed))
    after = table(db)
    assert len(after) == len(first)
    assert after == as_table(changed)


def test_a_rerun_does_not_rewrite_unchanged_rows(db, rows_param, nft_pipeline):
    rows, _ = nft_pipeline.process_nfts(awkward_page())
    store(db, nft_pipeline, rows_param(rows))

    def versions():
        with db.cursor() as cur:
            cur.execute("SELECT token_id, xmin::text FROM nfts")
            result = dict(cur.fetchall())
        db.commit()
        return result

    before = versions()
    changed = [dict(r) for r in rows]
    changed[0]["name"] = "renamed"
    store(db, nft_pipeline, rows_param(changed))
    after = versions()
    assert after[rows[0]["token_id"]] != before[rows[0]["token_id"]]
    assert {k: v for k, v in after.items() if k != rows[0]["token_id"]} == {
        k: v for k, v in before.items() if k != rows[0]["token_id"]
    }


@pytest.mark.parametrize(
    ("bad_row", "error"),
    [
        ({"token_id": "new", "name": None, "image_url": "x"}, "null value"),
        ({"token_id": "new", "name": "n", "image_url": None}, "null value"),
        ({"token_id": None, "name": "n", "image_url": "x"}, "null value"),
        ({"token_id": "0", "name": "second 0 in one batch", "image_url": "x"}, "second time"),
    ],
)
def test_a_failing_batch_leaves_the_table_as_it_was(db, rows_param, nft_pipeline, bad_row, error):
    rows, _ = nft_pipeline.process_nfts(awkward_page())
    store(db, nft_pipeline, rows_param(rows))
    before = table(db)

    batch = [dict(r, name=f"changed {r['token_id']}") for r in rows]  # would update every row
    batch.append({"token_id": "brand-new", "name": "would be inserted", "image_url": "x"})
    batch.append(bad_row)  # bypasses process_nfts
    with pytest.raises(Exception, match=error):
        store(db, nft_pipeline, rows_param(batch))
    assert table(db) == before


# ------------------------------------------- the real tasks, through Airflow connections


def _airflow_postgres_connection(pg_url: str) -> str:
    url = urlsplit(pg_url)
    host = parse_qs(url.query).get("host", [url.hostname])[0]
    return json.dumps(
        {
            "conn_type": "postgres",
            "host": host,
            "port": url.port or 5432,
            "login": url.username,
            "schema": url.path.lstrip("/"),
        }
    )


def run_task(nft_pipeline, task_id: str, context: dict):
    """Render a copy of the DAG's task like the task runner does, then execute it."""
    task = copy.copy(nft_pipeline.dag.get_task(task_id))
    task.render_template_fields(context, jinja_env=nft_pipeline.dag.get_template_env())
    return task.execute(context)


def test_creating_table_and_store_nft_tasks_store_the_rows(pg_url, nft_pipeline, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_DB_POSTGRE", _airflow_postgres_connection(pg_url))
    with psycopg2.connect(pg_url) as conn, conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS nfts")
    rows, _ = nft_pipeline.process_nfts(awkward_page())
    context = {"ti": FakeTI({"process_nft": rows}), "params": {}}

    run_task(nft_pipeline, "creating_table", context)
    run_task(nft_pipeline, "store_nft", context)
    run_task(nft_pipeline, "creating_table", context)  # a rerun of the whole day
    run_task(nft_pipeline, "store_nft", context)

    conn = psycopg2.connect(pg_url)
    try:
        assert table(conn) == as_table(rows)
    finally:
        conn.close()


class FakeOpenSea:
    """A real HTTP server on 127.0.0.1 that answers from a script and records requests."""

    def __init__(self):
        self.answers: list[tuple[int, bytes]] = []
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                fake.requests.append({"path": self.path, "headers": dict(self.headers)})
                status, body = fake.answers.pop(0) if len(fake.answers) > 1 else fake.answers[0]
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        if self.server.fileno() == -1:
            return  # closed already
        self.server.shutdown()
        self.server.server_close()


TEST_KEY = "unit-test-key-not-a-secret"


@pytest.fixture
def opensea(monkeypatch):
    fake = FakeOpenSea()
    monkeypatch.setenv(
        "AIRFLOW_CONN_OPENSEA_API",
        json.dumps(
            {
                "conn_type": "http",
                "host": "127.0.0.1",
                "port": fake.port,
                "schema": "http",
                "extra": {"x-api-key": TEST_KEY},
            }
        ),
    )
    yield fake
    fake.close()


PARAMS_DEFAULT = {"collection": "doodles-official", "limit": 20}


def test_extract_nft_sends_the_key_from_the_connection_and_parses_json(nft_pipeline, opensea):
    opensea.answers = [(200, json.dumps(awkward_page()).encode())]
    result = run_task(nft_pipeline, "extract_nft", {"params": PARAMS_DEFAULT})
    assert result == awkward_page()
    (request,) = opensea.requests
    assert request["path"] == "/api/v2/collection/doodles-official/nfts?limit=20"
    assert request["headers"]["x-api-key"] == TEST_KEY


def test_extract_nft_fails_clearly_on_malformed_json(nft_pipeline, opensea):
    opensea.answers = [(200, b'{"nfts": [')]
    with pytest.raises(ValueError, match="malformed JSON"):
        run_task(nft_pipeline, "extract_nft", {"params": PARAMS_DEFAULT})


def sensor(nft_pipeline, timeout: float = 5):
    task = copy.copy(nft_pipeline.dag.get_task("is_api_available"))
    task.poke_interval = 0.05
    task.timeout = timeout
    return task


def test_sensor_keeps_poking_through_429_and_5xx(nft_pipeline, opensea):
    opensea.answers = [(503, b"{}"), (429, b"{}"), (500, b"oops"), (200, b'{"nfts": []}')]
    task = sensor(nft_pipeline)
    context = {"params": {"collection": "cryptopunks", "limit": 20}}
    task.render_template_fields(context, jinja_env=nft_pipeline.dag.get_template_env())
    task.execute(context)
    assert len(opensea.requests) == 4
    assert all(r["path"] == "/api/v2/collection/cryptopunks/nfts?limit=1" for r in opensea.requests)
    assert all(r["headers"]["x-api-key"] == TEST_KEY for r in opensea.requests)


@pytest.mark.parametrize("status", [429, 500, 503])
def test_sensor_poke_sees_429_and_5xx_as_not_ready_not_as_errors(nft_pipeline, opensea, status):
    # check_response=False, not only silent_fail, keeps these from raising
    opensea.answers = [(status, b"{}")]
    task = sensor(nft_pipeline)
    task.silent_fail = False
    task.render_template_fields({"params": PARAMS_DEFAULT}, nft_pipeline.dag.get_template_env())
    assert task.poke({"params": PARAMS_DEFAULT}) is False


def test_sensor_fails_fast_on_a_bad_key(nft_pipeline, opensea):
    opensea.answers = [(401, b'{"detail": "Unauthorized"}')]
    task = sensor(nft_pipeline)
    task.render_template_fields({"params": PARAMS_DEFAULT}, nft_pipeline.dag.get_template_env())
    with pytest.raises(AirflowFailException, match="HTTP 401"):
        task.execute({"params": PARAMS_DEFAULT})
    assert len(opensea.requests) == 1


def test_sensor_keeps_poking_while_nothing_listens_then_times_out(nft_pipeline, opensea):
    opensea.close()  # connection refused from now on
    task = sensor(nft_pipeline, timeout=0.5)
    task.render_template_fields({"params": PARAMS_DEFAULT}, nft_pipeline.dag.get_template_env())
    with pytest.raises(AirflowSensorTimeout):
        task.execute({"params": PARAMS_DEFAULT})
