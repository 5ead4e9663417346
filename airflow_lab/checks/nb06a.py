"""Checkers for notebook 06a · Connections and ``creating_table``.

Exercise 1 compares with the live ``nfts`` table (or, before ``creating_table`` ran,
with the ``CREATE TABLE`` statement in ``dags/nft_pipeline.py``); exercises 2 and 3
apply Airflow's own rules for connection environment variables.
"""

from __future__ import annotations

import json
import re
from typing import Any

from airflow_lab.checks import exercise, expect, passed

#: Airflow's prefix (``airflow.secrets.environment_variables.CONN_ENV_PREFIX``).
CONN_ENV_PREFIX = "AIRFLOW_CONN_"


def nfts_columns(lab: Any) -> dict[str, str]:
    """``{column: data_type}`` of the live ``nfts`` table, or of the DAG's CREATE TABLE."""
    if lab is not None:
        live = lab.sql(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'nfts' ORDER BY ordinal_position"
        )
        if len(live):
            return dict(zip(live["column_name"], live["data_type"], strict=True))
        sql = lab.dags.code("CREATE_TABLE_SQL")
    else:
        from airflow_lab.settings import load_settings

        sql = (load_settings().dags_folder / "nft_pipeline.py").read_text()
    body = sql[sql.index("nfts (") :]
    return {m[0]: m[1].lower() for m in re.findall(r"^\s+(\w+)\s+(\w+)", body, re.M)[:3]}


@exercise("dict(zip(df.column_name, df.data_type)) of information_schema.columns for table 'nfts'")
def exercise_1(answer: Any, lab: Any = None) -> str:
    expect(
        isinstance(answer, dict),
        f"`answer` should be a dict of column name -> data type, got {type(answer).__name__}",
        "e.g. {'token_id': '...', 'name': '...', 'image_url': '...'}",
    )
    truth = nfts_columns(lab)
    given = {str(k).strip().lower(): str(v).strip().lower() for k, v in answer.items()}
    expect(
        set(given) == set(truth),
        f"the table's columns are {sorted(truth)}, your dict has {sorted(given)}",
        "query information_schema.columns for table_name = 'nfts'",
    )
    wrong = {k: v for k, v in given.items() if v != truth[k]}
    expect(
        not wrong,
        f"wrong type for {sorted(wrong)}: you gave {wrong}",
        "use the data_type column of information_schema.columns (PostgreSQL calls TEXT 'text')",
    )
    return passed(
        f"{truth}: three text columns, token_id the primary key, all NOT NULL, as the seed wanted"
    )


@exercise("AIRFLOW_CONN_ + the connection id in upper case")
def exercise_2(answer: Any, lab: Any = None) -> str:
    expect(isinstance(answer, str), f"`answer` should be a string, got {type(answer).__name__}")
    name = answer.strip()
    expected = CONN_ENV_PREFIX + "my_api".upper()
    expect(
        name.upper() == expected,
        f"{name!r} is not the variable Airflow reads for conn_id 'my_api'",
        f"the prefix is {CONN_ENV_PREFIX!r}, followed by the id",
    )
    expect(
        name == expected,
        f"{name!r} has the right letters but environment variable names are case-sensitive",
        "Airflow looks up the prefix plus conn_id.upper()",
    )
    return passed(f"{expected}: Airflow reads AIRFLOW_CONN_ + conn_id.upper()")


@exercise('json.dumps({"conn_type": "http", "host": ..., "port": ..., "schema": ...})')
def exercise_3(answer: Any, lab: Any = None) -> str:
    expect(
        isinstance(answer, str),
        f"`answer` should be the JSON text (a str), got {type(answer).__name__}",
        "wrap your dict in json.dumps(...)",
    )
    try:
        conn = json.loads(answer)
    except ValueError as e:
        conn = None
        expect(False, f"that is not valid JSON ({e})", "build a dict and pass it to json.dumps")
    expect(isinstance(conn, dict), "the JSON should be an object with connection fields")
    expect(
        conn.get("conn_type") == "http",
        f"conn_type is {conn.get('conn_type')!r}",
        "HttpHook connections have conn_type 'http' (the scheme goes elsewhere)",
    )
    expect(
        conn.get("host") == "api.example.com",
        f"host is {conn.get('host')!r}",
        "the host is the name only, without scheme or port",
    )
    expect(str(conn.get("port")) == "443", f"port is {conn.get('port')!r}", "port 443")
    expect(
        conn.get("schema") == "https",
        f"schema is {conn.get('schema')!r}: HttpHook builds the URL as <schema>://<host>:<port>",
        "for an HTTP connection the scheme goes in 'schema'",
    )
    return passed("HttpHook will call https://api.example.com:443/<endpoint>")
