"""Exercise checkers: each says "right" with a sentence, or why not and where to look.

One module per notebook (``airflow_lab.checks.nb04`` for notebook 04), all built
on :func:`expect`. A checker raises :class:`~airflow_lab.errors.CheckFailed`
(an ``AssertionError``) so that nbval fails a wrong answer's cell in CI, while a
learner sees one helpful line instead of a traceback.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from airflow_lab.errors import CheckFailed

__all__ = ["CheckFailed", "exercise", "expect", "passed"]


def expect(condition: bool, problem: str, hint: str = "") -> None:
    """Fail the exercise with ``problem`` (and a ``hint``) unless ``condition`` holds."""
    if not condition:
        raise CheckFailed(problem, hint=hint)


def passed(message: str) -> str:
    """Print and return the success line, so a learner sees what they got right."""
    line = f"✓ Correct: {message}"
    print(line)
    return line


def exercise(hint: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap a checker: ``None`` means "not tried yet", so print the hint and move on.

    That keeps a notebook runnable top to bottom (in CI and for a reader) while a
    real but wrong answer still fails with the checker's message.
    """

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def checker(answer: Any, lab: Any = None) -> Any:
            if answer is None:
                print(f"… Not answered yet. Hint: {hint}")
                return None
            return fn(answer, lab)

        return checker

    return wrap
