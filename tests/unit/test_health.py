"""airflow_lab.stack.health: a component is healthy by a heartbeat of its running process.

After a crash the dead scheduler's (or triggerer's) last heartbeat keeps
``/monitor/health`` saying "healthy" for 30 s while the new process still starts;
``up`` must not take that for the new one. The start time is given here, as the
checker reads it from supervisord; tests/lifecycle crashes a real stack and starts it
again.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from airflow_lab.stack import health

STARTED = datetime(2026, 12, 2, 12, 0, 0, tzinfo=UTC).timestamp()


def report(status: str, beat: datetime | None) -> dict:
    return {"status": status, "latest_triggerer_heartbeat": beat and beat.isoformat()}


@pytest.mark.parametrize(
    ("seen", "healthy"),
    [
        (report("healthy", datetime(2026, 12, 2, 12, 0, 5, tzinfo=UTC)), True),
        # the crashed process's last beat, still within Airflow's 30 s threshold
        (report("healthy", datetime(2026, 12, 2, 11, 59, 50, tzinfo=UTC)), False),
        (report("unhealthy", datetime(2026, 12, 2, 12, 0, 5, tzinfo=UTC)), False),
        ({}, False),
    ],
)
def test_only_a_beat_since_the_start_counts(seen: dict, healthy: bool) -> None:
    assert health._beats_since_start("triggerer", seen, STARTED) is healthy


def test_a_component_this_lab_does_not_run_is_judged_by_the_report() -> None:
    seen = report("healthy", datetime(2026, 12, 2, 11, 0, tzinfo=UTC))
    assert health._beats_since_start("triggerer", seen, None)
