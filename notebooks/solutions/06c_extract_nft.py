"""Solutions for notebook 06c · ``extract_nft``: HttpOperator and XCom.

Each ``exercise_N(lab)`` returns an answer that ``airflow_lab.checks.nb06c.exercise_N``
accepts; ``WRONG`` holds a plausible mistake per exercise that the checker rejects.
"""

from __future__ import annotations

NFTS = "/api/v2/collection/doodles-official/nfts"


def exercise_1(lab):
    """Index 2 is the third NFT."""
    return lab.nft.get(NFTS, limit=3).json()["nfts"][2]["identifier"]


def exercise_2(lab):
    """A task's return value is pushed under this key."""
    return "return_value"


def exercise_3(lab):
    """Hand each page's ``next`` back for the following page."""
    page = lab.nft.get(NFTS, limit=200).json()
    for _ in range(2):
        page = lab.nft.get(NFTS, limit=200, next=page["next"]).json()
    return page["nfts"][0]["identifier"]


WRONG = {
    # counting from 1
    "exercise_1": "3",
    # the task id, not the key
    "exercise_2": "extract_nft",
    # the last NFT of page 2
    "exercise_3": "399",
}
