"""Solutions for notebook 06e · Task 5: ``store_nft``.

Each ``exercise_N(lab)`` returns an answer that ``airflow_lab.checks.nb06e.exercise_N``
accepts; ``WRONG`` holds a plausible mistake per exercise that the checker rejects.
"""

from __future__ import annotations

import io

import pandas as pd

PAGE = "/api/v2/collection/doodles-official/nfts"


def exercise_1(lab):
    """Count the rows of the table itself."""
    return int(lab.sql("SELECT count(*) AS n FROM nfts").n[0])


def exercise_2(lab):
    """The clause of UPSERT_SQL that turns a repeated insert into an update."""
    return "ON CONFLICT (token_id) DO UPDATE"


def exercise_3(lab):
    """Token 3's CSV line, split the naive way."""
    nfts = lab.nft.get(PAGE, limit=20).json()["nfts"]
    nft = next(n for n in nfts if n["identifier"] == "3")
    row = pd.DataFrame([{"token_id": "3", "name": nft["name"], "image_url": nft["image_url"]}])
    buffer = io.StringIO()
    row.to_csv(buffer, index=None, header=False)
    return len(buffer.getvalue().rstrip("\n").split(","))


WRONG = {
    "exercise_1": 10_000,  # the collection's size, not the table's
    "exercise_2": "PRIMARY KEY",  # the constraint that makes a plain rerun fail
    "exercise_3": 3,  # what a real CSV reader sees
}
