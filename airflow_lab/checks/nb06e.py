"""Checkers for notebook 06e · Task 5: ``store_nft``.

They ask the live stack: the ``nfts`` table's row count, the DAG file's
``UPSERT_SQL``, and a CSV line written by pandas from the NFT API's data.
"""

from __future__ import annotations

import io
import re
from typing import Any

from airflow_lab.checks import exercise, expect, passed

PAGE = "/api/v2/collection/{slug}/nfts"


def _needs_lab(lab: Any, name: str) -> None:
    expect(lab is not None, "this check needs the live lab", f"call nb06e.{name}(answer, lab=lab)")


def upsert_sql(lab: Any) -> str:
    """The DAG file's UPSERT_SQL, read from its ``nft_sql`` section."""
    namespace: dict[str, Any] = {}
    exec(lab.dags.code("nft_sql"), namespace)  # two string constants, nothing else
    return namespace["UPSERT_SQL"]


def csv_line(lab: Any, token_id: str) -> str:
    """Token ``token_id``'s row as the seed wrote it: pandas ``to_csv(index=None, header=False)``."""
    import pandas as pd

    resp = lab.nft.get(PAGE.format(slug=lab.settings.collection), limit=20)
    resp.raise_for_status()
    nft = next(n for n in resp.json()["nfts"] if n["identifier"] == token_id)
    row = pd.DataFrame(
        [{"token_id": nft["identifier"], "name": nft["name"], "image_url": nft["image_url"]}]
    )
    buffer = io.StringIO()
    row.to_csv(buffer, index=None, header=False)
    return buffer.getvalue().rstrip("\n")


@exercise("lab.sql('SELECT count(*) AS n FROM nfts').n[0], as an int")
def exercise_1(answer: Any, lab: Any = None) -> str:
    expect(
        isinstance(answer, int) and not isinstance(answer, bool),
        f"`answer` should be a number of rows (an int), got {type(answer).__name__}",
        "int(lab.sql('SELECT count(*) AS n FROM nfts').n[0])",
    )
    _needs_lab(lab, "exercise_1")
    count = int(lab.sql("SELECT count(*) AS n FROM nfts").n[0])
    expect(
        answer != 2 * count or count == 0,
        f"{answer} is twice what the table holds: a rerun did not add rows",
        "ON CONFLICT (token_id) DO UPDATE turns the second insert of a token into an update",
    )
    expect(
        answer == count,
        f"the nfts table holds {count} rows now, not {answer}",
        "count the rows of the table itself; the collection's size (10,000) and the page "
        "size are other numbers",
    )
    return passed(f"{count} rows: one per token id ever stored, however many times store_nft ran.")


@exercise("the two words after the SELECT in UPSERT_SQL that handle a token already in the table")
def exercise_2(answer: Any, lab: Any = None) -> str:
    expect(
        isinstance(answer, str),
        f"`answer` should be a piece of SQL (a string), got {type(answer).__name__}",
    )
    _needs_lab(lab, "exercise_2")
    given = re.sub(r"\s+", " ", answer).strip().upper()
    sql = re.sub(r"\s+", " ", upsert_sql(lab)).upper()
    expect(
        "PRIMARY KEY" not in given,
        "the primary key is what makes a plain INSERT fail on a rerun, not what makes it succeed",
        "look for the clause of UPSERT_SQL that says what to do when the key is already there",
    )
    expect(
        given.startswith("ON CONFLICT") and given in sql,
        f"{answer!r} is not the clause of UPSERT_SQL that makes a rerun harmless",
        "print(lab.dags.code('nft_sql')) and read the line after FROM json_to_recordset(...)",
    )
    return passed(
        "ON CONFLICT (token_id) DO UPDATE: a token already stored is updated (only if it "
        "changed) instead of failing the statement, so running the load twice equals running it once."
    )


@exercise(
    "write token 3's row with to_csv(index=None, header=False), take the line, "
    "and count len(line.split(','))"
)
def exercise_3(answer: Any, lab: Any = None) -> str:
    expect(
        isinstance(answer, int) and not isinstance(answer, bool),
        f"`answer` should be a number of fields (an int), got {type(answer).__name__}",
    )
    _needs_lab(lab, "exercise_3")
    line = csv_line(lab, "3")
    fields = len(line.split(","))
    expect(
        answer != 3 or fields == 3,
        "3 is what a CSV reader that honours quotes sees, not a comma split",
        f"the line is {line!r}: count the commas, including the one inside the name",
    )
    expect(
        answer == fields,
        f"splitting {line!r} on commas gives {fields} fields, not {answer}",
        "line.split(',') splits inside the quoted name too",
    )
    return passed(
        f"{fields} fields instead of 3: the comma inside the quoted name becomes a column "
        "boundary, and the name's quotes stay in the data."
    )
