"""Helpers for the integration tests (the `lab` fixture lives in tests/conftest.py)."""

from __future__ import annotations

import time

_counter = iter(range(1_000_000))


def unique_logical_date() -> str:
    """A logical date no earlier run of this test stack has used (DagRuns are unique by it)."""
    from datetime import UTC, datetime, timedelta

    base = datetime(2022, 1, 1, tzinfo=UTC)
    offset = timedelta(seconds=int(time.time()) % 10**8, milliseconds=next(_counter))
    return (base + offset).isoformat()
