"""The notebooks written for the multi-node stack, executed against the celery session's stack."""

from __future__ import annotations

from pathlib import Path

import pytest

from airflow_lab.settings import Settings
from tests.notebooks.runner import NOTEBOOKS, execute, profile

CELERY = [p for p in NOTEBOOKS if profile(p) == "celery"]


@pytest.mark.notebooks
@pytest.mark.parametrize("path", CELERY, ids=[p.stem for p in CELERY])
def test_notebook_runs_top_to_bottom_on_the_celery_stack(
    path: Path, lab: Settings, tmp_path: Path
) -> None:
    seconds = execute(path, lab, tmp_path)
    print(f"\n{path.stem}: {seconds:.1f} s")
