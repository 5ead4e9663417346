"""What a command printed, made readable in a notebook: the tail, matching lines, events."""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Terminal colour and cursor codes (ESC [ ... letter).
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

#: One structlog line of Airflow: ``2026-01-01T10:00:00.123456Z [info     ] message [logger] k=v``.
_LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT(?P<time>\d\d:\d\d:\d\d\.\d{3})\d*Z? \[(?P<level>\w+)\s*\] "
    r"(?P<event>.*?)(?: \[[\w.]+\](?: [^\[\]]*)?)?$"
)


@dataclass
class CommandResult:
    """What an ``airflow ...`` (or shell) command printed, with its exit code."""

    command: str
    returncode: int
    output: str

    def tail(self, lines: int = 15) -> str:
        return "\n".join(self.output.strip().splitlines()[-lines:])

    def grep(self, *words: str) -> list[str]:
        """The output lines that contain any of ``words`` (case-insensitive)."""
        wanted = [w.lower() for w in words]
        return [line for line in self.output.splitlines() if any(w in line.lower() for w in wanted)]

    def events(
        self, *words: str, width: int = 150, keep: tuple[str, ...] = ("new_state",)
    ) -> list[str]:
        """Like :meth:`grep`, with each Airflow log line cut to ``HH:MM:SS.mmm level message``.

        Drops the date, the logger name and the ``key=value`` fields after it (but
        those named in ``keep``), so a notebook can show what happened, and when, in
        one short line per event.
        """
        events = []
        for line in self.grep(*words):
            match = _LOG_LINE.match(line)
            if match:
                fields = [f"{k}={v}" for k, v in re.findall(r" (\w+)=(\S+)", line) if k in keep]
                line = " ".join(
                    [f"{match['time']} {match['level']:<7} {match['event'].strip()}", *fields]
                )
            events.append(line if len(line) <= width else line[: width - 1] + "…")
        return events

    def __repr__(self) -> str:
        return f"$ {self.command}\n(exit {self.returncode})\n{self.tail()}"
