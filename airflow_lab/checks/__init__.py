"""Exercise checkers, written as data: what the answer is, how Airflow reacted, known mistakes.

One module per notebook (``airflow_lab.checks.nb06b`` for notebook 06b). Each
exercise is an :class:`Exercise`: the answer's type, a function that shows the
answer to the live stack and reads Airflow's reaction (the parsed graph, an import
error, a run's tries and log, the rows stored), a test of that reaction, and known
mistakes with the message each deserves. A message says what Airflow saw and what
to change, never the right answer. Hints come in two strengths: the first names
the concept and where to reread it, the second says more, and neither shows the
solution's code (``notebooks/solutions/`` is the last resort)::

    exercise_1 = Exercise(
        "exercise_1",
        answer=str,
        hints=("a sensor's timeout, section 3", "timeout counts seconds; the window lasts 20"),
        observe=lambda source, lab: observe.run_dag_file(lab, "ex1.py", source, "ex1"),
        right=lambda seen: seen.state == "success",
        mistakes=[Mistake(lambda seen: seen.import_error, "Airflow could not import it: {import_error}")],
        explain="the run ended {state}; its tries: {tries}",
        success="the sensor outlasted the 429 window: {tries}",
    )

A wrong answer raises :class:`~airflow_lab.errors.CheckFailed` (an
``AssertionError``), so a notebook run stops on it in CI, while a learner sees one
line instead of a traceback. ``None`` means "not answered yet": the first hint is
printed and the notebook runs on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from airflow_lab.errors import CheckFailed

__all__ = [
    "CheckFailed",
    "Exercise",
    "Mistake",
    "not_parsed",
    "passed",
    "quote",
]

Message = str | Callable[[Any], str]


def quote(said: str, width: int = 200) -> str:
    """What Airflow printed, fit for a wrong-answer message: one line, no list of choices.

    The CLI's "invalid choice" errors list every valid choice, the right answer among
    them; a message quotes the error without that list.
    """
    line = " | ".join(part.strip() for part in said.strip().splitlines() if part.strip())
    line = re.sub(r"\s*\(choose from [^)]*\)", "", line).replace(", see help above.", "")
    return line if len(line) <= width else line[: width - 1] + "…"


def passed(message: str) -> str:
    """Print and return the success line, so a learner sees what they got right."""
    line = f"✓ Correct: {message}"
    print(line)
    return line


def _render(message: Message, seen: Any) -> str:
    """A message about what Airflow saw: a callable, or a template of ``seen``'s fields."""
    if callable(message):
        return message(seen)
    fields = seen if isinstance(seen, Mapping) else getattr(seen, "__dict__", {})
    try:
        return message.format(seen=seen, **fields)
    except (KeyError, IndexError, AttributeError):
        return message


@dataclass(frozen=True)
class Mistake:
    """A known way to be wrong: ``when(seen)`` spots it in Airflow's reaction."""

    when: Callable[[Any], bool]
    message: Message
    #: What to change, in concept terms (shown after the message).
    fix: str = ""


def not_parsed(
    dag_id: str | None = None, parsed: Callable[[Any], Any] = lambda seen: seen
) -> list[Mistake]:
    """The two mistakes every exercise that writes a DAG file shares, told the same way.

    Airflow could not import the file (its ``file:line: error``, as
    ``airflow dags list-import-errors`` shows it), or imported it but lists no DAG with
    the exercise's ``dag_id`` (named in the fix when given). ``parsed(seen)`` finds the
    :class:`~airflow_lab.checks.observe.ParsedDag` in what the checker observed.
    """
    return [
        Mistake(
            lambda seen: bool(parsed(seen).import_error),
            lambda seen: f"Airflow could not import your file: {parsed(seen).import_error}",
            fix="fix what it names (a line, or the faulty task of a cycle), then run the cell "
            "again: `airflow dags list-import-errors` shows the same error",
        ),
        Mistake(
            lambda seen: parsed(seen).missing,
            lambda seen: parsed(seen).describe(),
            fix=f"keep dag_id={dag_id!r}" if dag_id else "keep the dag_id the exercise names",
        ),
    ]


@dataclass(frozen=True)
class Exercise:
    """One exercise's checker; call it as ``nb06b.exercise_1(answer, lab=lab)``."""

    name: str
    #: The answer's type(s), e.g. ``str`` for a DAG file's source, ``int`` for a count.
    answer: type | tuple[type, ...]
    #: Hint 1 names the concept and where to reread it; hint 2 says more. No solution code.
    hints: tuple[str, ...]
    #: Shows the answer to Airflow and returns what Airflow saw (a dict or an object).
    observe: Callable[[Any, Any], Any]
    #: Is what Airflow saw the goal?
    right: Callable[[Any], bool]
    success: Message
    mistakes: Sequence[Mistake] = field(default_factory=tuple)
    #: Said when the answer is wrong in no known way: what Airflow saw.
    explain: Message = "that is not it yet: {seen}"
    #: What to change when no known mistake matched.
    fix: str = "reread the section the first hint names"
    #: False for exercises that need no live stack.
    needs_lab: bool = True

    @property
    def qualname(self) -> str:
        """How a notebook calls this checker: ``nb06b.exercise_1``."""
        module = getattr(self.observe, "__module__", "") or ""
        return f"{module.rsplit('.', 1)[-1]}.{self.name}" if module else self.name

    def _hint_line(self, level: int) -> str:
        level = max(1, min(level, len(self.hints)))
        more = (
            f" (a stronger hint: {self.qualname}.hint({level + 1}))"
            if level < len(self.hints)
            else ""
        )
        return f"Hint {level}: {self.hints[level - 1]}{more}"

    def hint(self, level: int = 1) -> str:
        """Print hint ``level`` (1: the concept and where to reread; 2: a stronger nudge)."""
        line = self._hint_line(level)
        print(line)
        return line

    def __call__(self, answer: Any, lab: Any = None) -> str | None:
        if answer is None:
            print(f"… Not answered yet. {self._hint_line(1)}")
            return None
        if isinstance(answer, bool) or not isinstance(answer, self.answer):
            raise CheckFailed(
                f"`answer` should be {_type_names(self.answer)}, got {type(answer).__name__}"
            )
        if self.needs_lab and lab is None:
            raise CheckFailed(f"{self.name} needs the lab: call it with lab=lab")
        seen = self.observe(answer, lab)
        for mistake in self.mistakes:
            if mistake.when(seen):
                raise CheckFailed(_render(mistake.message, seen), hint=mistake.fix)
        if not self.right(seen):
            raise CheckFailed(_render(self.explain, seen), hint=self.fix)
        return passed(_render(self.success, seen))


def _type_names(kinds: type | tuple[type, ...]) -> str:
    kinds = kinds if isinstance(kinds, tuple) else (kinds,)
    names = {int: "an int", str: "a string", float: "a number", list: "a list", dict: "a dict"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)
