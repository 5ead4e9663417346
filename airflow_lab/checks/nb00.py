"""Checkers for notebook 00 · Start here.

Each checker asks the running stack for the right answer (the supervisor's process
table, the settings' ports, the passwords file), never a stored number.
"""

from __future__ import annotations

import json
from typing import Any

from airflow_lab.checks import exercise, expect, passed


def _int(answer: Any, what: str) -> int:
    expect(
        isinstance(answer, int) and not isinstance(answer, bool),
        f"the answer should be an int ({what}), got {type(answer).__name__} {answer!r}",
        "convert a piece of text with int(...)",
    )
    return answer


@exercise("status.grep('api-server') gives the api-server's line; the port is a number in it")
def exercise_1(answer: Any, lab: Any = None) -> str:
    port = _int(answer, "a port number")
    rows = {row.name: row for row in lab.services()}
    expected = rows["api-server"].port
    others = {row.port: name for name, row in rows.items() if row.port and name != "api-server"}
    expect(
        port != rows["api-server"].pid,
        f"{port} is the api-server's pid (process id), not its port",
        "read the `port` column, the one after `pid`",
    )
    expect(
        port not in others,
        f"{port} is the port of {others.get(port)}, not of the api-server",
        "take the row whose first column is `api-server`",
    )
    expect(
        port == expected,
        f"{port} is not the port `airflow-lab status` shows for the api-server",
        "read the `port` column of the `api-server` row",
    )
    return passed(
        f"the api-server listens on {expected}, the port of the UI at {lab.settings.api_url}"
    )


@exercise("count rows whose health column is exactly 'healthy' (not 'unhealthy')")
def exercise_2(answer: Any, lab: Any = None) -> str:
    count = _int(answer, "a number of services")
    rows = lab.services()
    healthy = sum(row.healthy for row in rows)
    expect(
        count == healthy,
        f"{count} is not the number of healthy services: the stack has {len(rows)} services "
        f"right now, and not {count} of them are healthy",
        "count the `healthy` cells of `airflow-lab status` (rerun it: health can change)",
    )
    return passed(f"{healthy} of {len(rows)} services are healthy")


@exercise("the passwords file maps user names to passwords: its keys are the users")
def exercise_3(answer: Any, lab: Any = None) -> str:
    expect(isinstance(answer, str), f"the answer should be a string, got {type(answer).__name__}")
    users = set(json.loads(lab.settings.passwords_file.read_text()))
    expect(
        answer.strip() in users,
        f"{answer!r} is not a user of this stack's SimpleAuthManager",
        "print(sorted(users)) in section 3 shows the user names",
    )
    return passed(
        f"'{answer.strip()}' is the user; its password is in {lab.settings.passwords_file.name}"
    )
