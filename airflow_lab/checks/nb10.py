"""Checkers for notebook 10 · Multi node: the queue outside the executor.

Each reads the live answer from the stack it is given (``lab=multi`` in the
notebook): the option values come from ``airflow config get-value`` there.
"""

from __future__ import annotations

from typing import Any

from airflow_lab.checks import exercise, expect, passed


def _config(lab: Any, section: str, option: str) -> str:
    result = lab.airflow("config", "get-value", section, option)
    expect(
        result.returncode == 0,
        f"could not read [{section}] {option} from the lab",
        "is the stack up? try `airflow-lab status`",
    )
    return result.tail(1).strip()


@exercise(
    "the option is [operators] default_queue: "
    "multi.airflow('config', 'get-value', 'operators', 'default_queue').tail(1)"
)
def exercise_1(answer: Any, lab: Any = None) -> str:
    expect(
        isinstance(answer, str),
        f"expected the queue's name as a string, got {type(answer).__name__}",
        "use .tail(1) of the command's result: the value is its last line",
    )
    live = _config(lab, "operators", "default_queue")
    expect(
        answer.strip() == live,
        f"{answer.strip()!r} is not the name this stack's tasks queue under",
        "it is the name of the Redis list you measured with LLEN; read [operators] default_queue",
    )
    return passed(
        f"tasks without queue= go to the broker list {live!r}: that is what LLEN {live} counted, "
        "and what every worker started without -q consumes"
    )


def _normalise(answer: str) -> str:
    text = answer.strip().lower()
    if text.startswith("airflow__"):  # the environment variable form
        parts = text.removeprefix("airflow__").split("__")
        return ".".join(parts)
    if text.startswith("["):  # "[celery] broker_url"
        section, _, option = text[1:].partition("]")
        return f"{section.strip()}.{option.strip()}"
    return text.replace(" ", "")


@exercise("the option lives in section [celery]; its name says what it holds: the broker's URL")
def exercise_2(answer: Any, lab: Any = None) -> str:
    expect(
        isinstance(answer, str),
        f"expected 'section.option' as a string, got {type(answer).__name__}",
        'for example "core.executor"',
    )
    got = _normalise(answer)
    expect(
        got != "core.executor",
        "[core] executor picks CeleryExecutor, but not where its queue is",
        "look for the option that holds a redis:// URL",
    )
    expect(
        got != "celery.result_backend",
        "[celery] result_backend is where workers put the results of Celery tasks, not the queue",
        "look for the option whose value starts with redis://",
    )
    expect(
        got == "celery.broker_url",
        f"{answer!r} is not the option that holds the broker's address",
        "you read it with `airflow config get-value celery ...` in 'Where the queue sits'",
    )
    return passed(
        "[celery] broker_url (env AIRFLOW__CELERY__BROKER_URL) is the queue's address; every "
        "scheduler and worker of one deployment must have the same value"
    )


@exercise(
    "multi.airflow('config', 'get-value', 'scheduler', 'task_instance_heartbeat_timeout').tail(1), "
    "as an int"
)
def exercise_3(answer: Any, lab: Any = None) -> str:
    expect(
        isinstance(answer, int) and not isinstance(answer, bool),
        f"expected a number of seconds (an int), got {answer!r}",
        "int(...) of the value you read",
    )
    live = int(_config(lab, "scheduler", "task_instance_heartbeat_timeout"))
    detection = _config(lab, "scheduler", "task_instance_heartbeat_timeout_detection_interval")
    expect(
        answer != int(float(detection)) or answer == live,
        f"{answer} s is how often the scheduler *looks* for dead tasks "
        "(task_instance_heartbeat_timeout_detection_interval), not how old a heartbeat must be",
        "read task_instance_heartbeat_timeout",
    )
    expect(
        answer == live,
        f"{answer} s is not this stack's heartbeat timeout",
        "read [scheduler] task_instance_heartbeat_timeout on the stack you pass as lab",
    )
    return passed(
        f"a task whose heartbeat is older than {live} s is failed (and retried if it has "
        "retries left); the lab shortens Airflow's default 300 s to 30 s"
    )
