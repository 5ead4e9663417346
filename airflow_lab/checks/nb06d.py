"""Checkers for notebook 06d · Task 4: ``process_nft``.

Each checker fetches the page from the live NFT API and runs the DAG's own
``process_nfts`` on it, so the expected answer is whatever the kit's code does
today, not a number copied into this file.
"""

from __future__ import annotations

import functools
import importlib.util
import unicodedata
from pathlib import Path
from typing import Any

from airflow_lab.checks import exercise, expect, passed

PAGE = "/api/v2/collection/{slug}/nfts"


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


def page(lab: Any, limit: int, fault: str | None = None) -> dict:
    params = {"limit": limit} | ({"fault": fault} if fault else {})
    resp = lab.nft.get(PAGE.format(slug=lab.settings.collection), **params)
    resp.raise_for_status()
    return resp.json()


def _whole_number(answer: Any, what: str) -> None:
    expect(
        isinstance(answer, int) and not isinstance(answer, bool),
        f"`answer` should be {what} (an int), got {type(answer).__name__}",
        "len(rows) of `rows, problems = process_nfts(payload)` is an int",
    )


def _needs_lab(lab: Any, name: str) -> None:
    expect(lab is not None, "this check needs the live lab", f"call nb06d.{name}(answer, lab=lab)")


@exercise(
    "payload = lab.nft.get(PAGE, limit=10, fault='partial').json(); "
    "rows, problems = process_nfts(payload); answer = len(rows)"
)
def exercise_1(answer: Any, lab: Any = None) -> str:
    _whole_number(answer, "a number of rows")
    _needs_lab(lab, "exercise_1")
    payload = page(lab, 10, "partial")
    rows, _problems = process_nfts(lab, payload)
    records = len(payload["nfts"])
    expect(
        answer != records,
        f"{answer} is every record on the page: process_nfts does not keep them all",
        "one record has no identifier (skipped) and one NFT appears twice (the last one wins)",
    )
    expect(
        answer == len(rows),
        f"{answer} rows is not what process_nfts keeps from that page",
        "records with a missing or null name/image_url are kept (stored as ''); "
        "only a record without an identifier and a repeated one are dropped",
    )
    return passed(
        f"{len(rows)} of {records} records become rows: the record without an identifier is "
        "skipped and the repeated token keeps only its last record; null or missing names and "
        "image URLs are kept as ''."
    )


@exercise(
    "look at the names of the first 20 NFTs: which one holds characters outside the "
    "Basic Multilingual Plane (ord(c) > 0xFFFF)? Answer its token id as a string"
)
def exercise_2(answer: Any, lab: Any = None) -> str:
    expect(
        isinstance(answer, str | int) and not isinstance(answer, bool),
        f"`answer` should be a token id (a string such as '5'), got {type(answer).__name__}",
    )
    _needs_lab(lab, "exercise_2")
    nfts = page(lab, 20)["nfts"]
    emoji = [
        n["identifier"]
        for n in nfts
        if any(unicodedata.category(c) == "So" and ord(c) > 0xFFFF for c in n.get("name") or "")
    ]
    expect(bool(emoji), "no name on the first page has an emoji: the NFT API serves other data")
    given = str(answer).strip()
    names = {n["identifier"]: n.get("name") for n in nfts}
    expect(
        given in names,
        f"token {given!r} is not on the first page of 20",
        "token ids are the 'identifier' (v2) or 'token_id' (your rows) values",
    )
    expect(
        given in emoji,
        f"token {given}'s name is {names[given]!r}: no emoji in it",
        "print(repr(name)) for each row; emoji are symbols (unicodedata category 'So') above U+FFFF",
    )
    return passed(
        f"token {given} is {names[given]!r}: 4-byte UTF-8 characters that the JSON XCom and "
        "PostgreSQL text keep as they are."
    )


@exercise(
    "rows, problems = process_nfts(lab.nft.get(PAGE, limit=20, fault='partial').json()); "
    "answer = len(problems)"
)
def exercise_3(answer: Any, lab: Any = None) -> str:
    expect(
        isinstance(answer, int) and not isinstance(answer, bool),
        f"`answer` should be a number of problems (an int), got {type(answer).__name__}",
        "len(problems)",
    )
    _needs_lab(lab, "exercise_3")
    _rows, problems = process_nfts(lab, page(lab, 20, "partial"))
    expect(
        answer == len(problems),
        f"{answer} is not the number of problems process_nfts reports for that page",
        "count every line of `problems`: a null name, a missing name, a null and a missing "
        "image_url, a record without identifier, a repeated token",
    )
    return passed(
        f"{len(problems)} problems, each logged by the task as a warning with its token id "
        "or record index; none of them stops the load."
    )
