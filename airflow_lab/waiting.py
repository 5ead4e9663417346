"""Waiting by polling, in one place: every wait in the kit is one of these two.

A notebook, a checker, the stack and the tests all wait for something Airflow does
on its own time (a process to answer, a DAG to be parsed, a run to end). They poll
with tenacity, never sleep a fixed time, and say on timeout what they waited for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    retry_if_result,
    stop_after_delay,
    wait_fixed,
)

from airflow_lab.errors import LabError

T = TypeVar("T")


def wait_until(check: Callable[[], object], timeout: float, interval: float = 0.2) -> bool:
    """Call ``check`` until it returns something true or ``timeout`` seconds pass."""
    try:
        return bool(_retrying(timeout, interval, lambda ok: not ok, ())(check))
    except RetryError:
        return False


def poll(
    read: Callable[[], T],
    until: Callable[[T], bool],
    *,
    timeout: float,
    interval: float = 0.3,
    what: str,
    hint: str = "check `airflow-lab status` and `airflow-lab logs scheduler`",
    tolerate: tuple[type[BaseException], ...] = (),
    show: Callable[[T], object] = repr,
) -> T:
    """Call ``read`` until ``until(value)`` holds; return that value.

    On timeout, raise a :class:`LabError` saying ``what`` was awaited and the last
    value seen, as ``show`` renders it. Exceptions of the ``tolerate`` types (a busy server's timeout) count
    as one more try, not a failure.
    """
    last: list[T] = []

    def attempt() -> T:
        last[:] = [read()]
        return last[0]

    try:
        return _retrying(timeout, interval, lambda value: not until(value), tolerate)(attempt)
    except RetryError as e:
        seen = f" (last seen: {show(last[0])})" if last else ""
        raise LabError(f"{what} not reached after {timeout:g} s{seen}", hint=hint) from e


def _retrying(
    timeout: float,
    interval: float,
    again: Callable[[object], bool],
    tolerate: tuple[type[BaseException], ...],
) -> Retrying:
    retry = retry_if_result(again)
    if tolerate:
        retry = retry | retry_if_exception_type(tolerate)
    return Retrying(stop=stop_after_delay(timeout), wait=wait_fixed(interval), retry=retry)
