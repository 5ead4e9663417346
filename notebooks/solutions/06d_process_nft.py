"""Solutions for notebook 06d · Task 4: ``process_nft``.

Each ``exercise_N(lab)`` returns an answer that ``airflow_lab.checks.nb06d.exercise_N``
accepts; ``WRONG`` holds a plausible mistake per exercise that the checker rejects.
"""

from __future__ import annotations

import importlib.util

PAGE = "/api/v2/collection/doodles-official/nfts"


def _process_nfts(lab):
    """The DAG file's own function, imported the way the notebook does."""
    spec = importlib.util.spec_from_file_location(
        "nft_pipeline", lab.settings.dags_folder / "nft_pipeline.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.process_nfts


def exercise_1(lab):
    """Run process_nfts on the broken page: one record lacks an id, one token repeats."""
    payload = lab.nft.get(PAGE, limit=10, fault="partial").json()
    rows, _problems = _process_nfts(lab)(payload)
    return len(rows)


def exercise_2(lab):
    """The name with characters beyond U+FFFF (emoji)."""
    nfts = lab.nft.get(PAGE, limit=20).json()["nfts"]
    return next(n["identifier"] for n in nfts if any(ord(c) > 0xFFFF for c in n["name"]))


def exercise_3(lab):
    """Every skipped or changed record is one line of ``problems``."""
    payload = lab.nft.get(PAGE, limit=20, fault="partial").json()
    _rows, problems = _process_nfts(lab)(payload)
    return len(problems)


WRONG = {
    "exercise_1": 10,  # every record on the page
    "exercise_2": "3",  # the comma one
    "exercise_3": 5,  # forgetting the repeated token
}
