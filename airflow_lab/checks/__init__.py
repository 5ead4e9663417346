"""Exercise checkers: each says "right" with a sentence, or why not and where to look.

One module per notebook (``airflow_lab.checks.nb04`` for notebook 04), all built
on :func:`expect`. A checker raises :class:`~airflow_lab.errors.CheckFailed`
(an ``AssertionError``) so that papermill stops on a wrong answer in CI, while a
learner sees one helpful line instead of a traceback.
"""

from __future__ import annotations

from airflow_lab.errors import CheckFailed

__all__ = ["CheckFailed", "expect", "passed"]


def expect(condition: bool, problem: str, hint: str = "") -> None:
    """Fail the exercise with ``problem`` (and a ``hint``) unless ``condition`` holds."""
    if not condition:
        raise CheckFailed(problem, hint=hint)


def passed(message: str) -> str:
    """Print and return the success line, so a learner sees what they got right."""
    line = f"✓ Correct: {message}"
    print(line)
    return line
