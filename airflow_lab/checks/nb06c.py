"""Checkers for notebook 06c · ``extract_nft``: HttpOperator and XCom.

Exercises 1 and 3 ask the lab's NFT API for the right identifier; exercise 2
looks for the key among the ``xcom`` rows ``extract_nft`` left in the metastore.
"""

from __future__ import annotations

from typing import Any

from airflow_lab.checks import exercise, expect, passed

DAG_ID = "nft-pipeline"


def _page(lab: Any, limit: int, cursor: str | None = None) -> dict:
    params = {"limit": limit} | ({"next": cursor} if cursor else {})
    response = lab.nft.get(f"/api/v2/collection/{lab.settings.collection}/nfts", **params)
    response.raise_for_status()
    return response.json()


def _identifier(answer: Any) -> str:
    expect(
        isinstance(answer, (str, int)) and not isinstance(answer, bool),
        f"`answer` should be the identifier as a string, got {type(answer).__name__}",
        'e.g. answer = page["nfts"][0]["identifier"]',
    )
    return str(answer).strip()


@exercise('lab.nft.get(NFTS, limit=3).json()["nfts"][2]["identifier"]')
def exercise_1(answer: Any, lab: Any = None) -> str:
    expect(lab is not None, "this checker asks the API: call it with lab=lab")
    given = _identifier(answer)
    nfts = _page(lab, 3)["nfts"]
    truth = str(nfts[2]["identifier"])
    expect(
        given != str(nfts[1]["identifier"]),
        f"{given!r} is the 2nd NFT",
        "the 3rd item of a Python list is [2]",
    )
    expect(
        given == truth,
        f"{given!r} is not the identifier of the 3rd NFT on the first page",
        "read the 'identifier' field (v1 called it token_id)",
    )
    return passed(f"nfts[2] has identifier {truth!r}")


@exercise("the last part of the REST path .../xcomEntries/<key>")
def exercise_2(answer: Any, lab: Any = None) -> str:
    expect(isinstance(answer, str), f"`answer` should be a string, got {type(answer).__name__}")
    key = answer.strip()
    expect(
        key != "extract_nft",
        "extract_nft is the task id; XCom rows have a key besides the task id",
        "look at the `key` column of the xcom table",
    )
    keys: set[str] = set()
    if lab is not None:
        rows = lab.sql(
            "SELECT DISTINCT key FROM xcom WHERE dag_id = %s AND task_id = 'extract_nft'",
            (DAG_ID,),
            database="airflow",
        )
        keys = set(rows["key"])
    keys = keys or {"return_value"}  # no real run yet on this stack: Airflow's default key
    expect(
        key in keys,
        f"extract_nft has no XCom with key {key!r}; the metastore has {sorted(keys)}",
        "a task's return value is pushed under one fixed key",
    )
    return passed(
        f"{key!r}: what a task returns is pushed under this key; xcom_pull(task_ids=...) reads it"
    )


@exercise("page_3 = lab.nft.get(NFTS, limit=200, next=page_2['next']).json()")
def exercise_3(answer: Any, lab: Any = None) -> str:
    expect(lab is not None, "this checker asks the API: call it with lab=lab")
    given = _identifier(answer)
    pages = [_page(lab, 200)]
    for _ in range(2):
        pages.append(_page(lab, 200, pages[-1]["next"]))
    truth = str(pages[2]["nfts"][0]["identifier"])
    expect(
        given != str(pages[1]["nfts"][0]["identifier"]),
        f"{given!r} starts page 2",
        "follow next twice: page 1 -> page 2 -> page 3",
    )
    expect(
        given != str(pages[1]["nfts"][-1]["identifier"]),
        f"{given!r} is the last NFT of page 2, not the first of page 3",
    )
    expect(
        given == truth,
        f"{given!r} is not the first identifier of page 3",
        "each page's `next` leads to the following page",
    )
    return passed(f"page 3 starts with identifier {truth!r}")
