"""airflow_lab.waiting: the kit's two ways to wait, on real (short) clocks."""

from __future__ import annotations

import time

import pytest

from airflow_lab.errors import LabError
from airflow_lab.waiting import poll, wait_until


def _counter(values: list):
    """A function returning the next of ``values`` on each call (the last one forever)."""
    calls = []

    def read():
        calls.append(1)
        value = values[min(len(calls), len(values)) - 1]
        if isinstance(value, BaseException):
            raise value
        return value

    read.calls = calls  # type: ignore[attr-defined]
    return read


def test_wait_until_returns_true_once_the_check_holds() -> None:
    check = _counter([0, None, "", "ready"])
    assert wait_until(check, timeout=5, interval=0.01) is True
    assert len(check.calls) == 4


def test_wait_until_returns_at_once_when_true_already() -> None:
    t0 = time.monotonic()
    assert wait_until(lambda: True, timeout=5, interval=1) is True
    assert time.monotonic() - t0 < 0.5


def test_wait_until_returns_false_after_the_timeout() -> None:
    t0 = time.monotonic()
    assert wait_until(lambda: False, timeout=0.3, interval=0.05) is False
    assert 0.25 <= time.monotonic() - t0 < 2


def test_poll_returns_the_value_that_satisfied_it() -> None:
    read = _counter([{"state": "queued"}, {"state": "running"}, {"state": "success"}])
    got = poll(read, lambda v: v["state"] == "success", timeout=5, interval=0.01, what="a run")
    assert got == {"state": "success"}
    assert len(read.calls) == 3


def test_poll_says_what_it_waited_for_the_last_value_and_the_hint() -> None:
    with pytest.raises(LabError) as info:
        poll(
            lambda: {"state": "running"},
            lambda v: v["state"] == "success",
            timeout=0.3,
            interval=0.05,
            what="the end of run r1",
            hint="look at the scheduler",
            show=lambda v: v["state"],
        )
    message = str(info.value)
    assert message.startswith("the end of run r1 not reached after")
    assert "(last seen: running)" in message
    assert info.value.hint == "look at the scheduler"
    assert message.endswith(": look at the scheduler")


def test_poll_timeout_without_any_value_says_so() -> None:
    with pytest.raises(LabError) as info:
        poll(
            _counter([TimeoutError()]),
            bool,
            timeout=0.2,
            interval=0.05,
            what="an answer",
            tolerate=(TimeoutError,),
        )
    assert "last seen" not in str(info.value)
    assert str(info.value).startswith("an answer not reached")


def test_poll_tolerates_the_listed_exceptions() -> None:
    read = _counter([TimeoutError("busy"), ConnectionResetError(), 42])
    got = poll(
        read,
        lambda v: v == 42,
        timeout=5,
        interval=0.01,
        what="the answer",
        tolerate=(TimeoutError, ConnectionResetError),
    )
    assert got == 42
    assert len(read.calls) == 3


def test_poll_propagates_other_exceptions_at_once() -> None:
    read = _counter([KeyError("state"), 42])
    with pytest.raises(KeyError, match="state"):
        poll(read, bool, timeout=5, interval=0.01, what="x", tolerate=(TimeoutError,))
    assert len(read.calls) == 1


def test_wait_until_propagates_exceptions() -> None:
    with pytest.raises(ZeroDivisionError):
        wait_until(lambda: 1 / 0, timeout=1, interval=0.01)
