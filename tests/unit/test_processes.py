"""Which processes `up` and `down` may end as leftovers of a lab: only that lab's.

Two labs live side by side (`.lab` and the test stack's `.lab-test`), so a command
line that names one must never be taken for the other's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from airflow_lab.stack import names_path

HOME = Path("/work/kit/.lab")


@pytest.mark.parametrize(
    ("cmdline", "ours"),
    [
        ("postgres -D /work/kit/.lab/pgdata -h 127.0.0.1", True),
        (
            "python -m airflow_lab.stack.launch /work/kit/.lab/run/env/scheduler.json -- airflow",
            True,
        ),
        ("tail -f /work/kit/.lab", True),
        ("postgres -D /work/kit/.lab-test/pgdata -h 127.0.0.1", False),
        ("/bin/sh -c AIRFLOW_LAB_HOME=/work/kit/.lab-test-celery make test", False),
        ("cp -r /work/kit/.lab.bak /tmp", False),
        ("vim /work/kit/.labnotes", False),
    ],
)
def test_a_command_line_names_this_lab_and_no_other(cmdline: str, ours: bool) -> None:
    assert names_path(HOME)(cmdline) is ours
