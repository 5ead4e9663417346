"""The local NFT API's faults: what can go wrong, on demand, and how a page breaks.

Lessons on retries, sensors and bad input need the API to fail when the lesson
says so, not when the internet does. A fault is validated the same way from each
of its three sources (a query parameter, a header, ``POST /admin/faults``), and
the board that holds an admin-set fault counts its uses exactly under load.

Faults, kinds ``500 429 slow malformed empty partial``, apply only to the two
data endpoints and are chosen, in order of precedence, by:

* a query parameter ``?fault=KIND`` (with optional ``delay=`` / ``retry_after=``),
* a header ``x-lab-fault: KIND`` (with optional ``x-lab-fault-delay`` /
  ``x-lab-fault-retry-after``),
* ``POST /admin/faults`` ``{"kind": ..., "count": ..., "delay": ..., "retry_after": ...}``
  for the next ``count`` data requests (``null`` = until ``DELETE /admin/faults``).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

FAULT_KINDS = ("500", "429", "slow", "malformed", "empty", "partial")
MAX_DELAY = 120.0


class FaultError(ValueError):
    """A fault request the server cannot honour; the message lists what it can do."""


@dataclass(frozen=True)
class Fault:
    kind: str
    delay: float = 3.0
    retry_after: int = 1


def bounded_number(value: object, name: str, cast: type, low: float, high: float) -> Any:
    try:
        if isinstance(value, bool):
            raise ValueError
        number = cast(value)
    except (TypeError, ValueError):
        raise FaultError(
            f"{name} must be a number from {low:g} to {high:g}, got {value!r}"
        ) from None
    if not low <= number <= high:
        raise FaultError(f"{name} must be from {low:g} to {high:g}, got {value!r}")
    return number


def make_fault(kind: object, delay: object = None, retry_after: object = None) -> Fault:
    """Validate a fault request from any source, so all three reject mistakes alike."""
    kind = str(kind) if isinstance(kind, (str, int)) and not isinstance(kind, bool) else kind
    if kind not in FAULT_KINDS:
        raise FaultError(f"unknown fault kind {kind!r}; valid kinds: {', '.join(FAULT_KINDS)}")
    return Fault(
        kind=kind,
        delay=3.0 if delay in (None, "") else bounded_number(delay, "delay", float, 0, MAX_DELAY),
        retry_after=1
        if retry_after in (None, "")
        else bounded_number(retry_after, "retry_after", int, 0, 3600),
    )


def fault_from_request(params: Mapping[str, str], headers: Mapping[str, str]) -> Fault | None:
    """A fault asked for by one request: ``?fault=KIND`` first, else ``x-lab-fault: KIND``."""
    kind = params.get("fault") or headers.get("x-lab-fault")
    if not kind:
        return None
    return make_fault(
        kind,
        params.get("delay") or headers.get("x-lab-fault-delay"),
        params.get("retry_after") or headers.get("x-lab-fault-retry-after"),
    )


class FaultBoard:
    """The admin-set fault, shared by all requests; a lock keeps ``count`` exact under load."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fault: Fault | None = None
        self._remaining: int | None = None

    def set(self, fault: Fault | None, count: int | None) -> None:
        with self._lock:
            self._fault, self._remaining = fault, count

    def clear(self) -> None:
        self.set(None, None)

    def take(self) -> Fault | None:
        """The fault for one data request, using up one of ``count``."""
        with self._lock:
            fault = self._fault
            if fault is not None and self._remaining is not None:
                self._remaining -= 1
                if self._remaining <= 0:
                    self._fault, self._remaining = None, None
            return fault

    def describe(self) -> dict[str, Any] | None:
        with self._lock:
            if self._fault is None:
                return None
            f = self._fault
            return {
                "kind": f.kind,
                "count": self._remaining,
                "delay": f.delay,
                "retry_after": f.retry_after,
            }


def spoil(items: list[dict[str, Any]], id_key: str) -> list[dict[str, Any]]:
    """Break a page the ways real feeds break, for the bad-input lessons."""
    items = [dict(item) for item in items]
    n = len(items)
    if n > 0:
        items[0]["name"] = None
    if n > 1:
        items[1].pop("name", None)
    if n > 2:
        items[2]["image_url"] = None
    if n > 3:
        items[3].pop("image_url", None)
    if n > 4:
        items[4].pop(id_key, None)
    if n > 6:
        items[-1] = dict(items[5])  # the same NFT twice, as a shifting page would give
    return items
