"""Checkers for notebook 02 · Architecture.

The answers come from the running stack: the supervisor's process table, the
scheduler's child processes (psutil), and the metastore's own tables.
"""

from __future__ import annotations

from typing import Any

from airflow_lab.checks import exercise, expect, passed


def _pids(lab: Any) -> dict[str, int]:
    return {row.name: row.pid for row in lab.services() if row.pid}


def local_executor_workers(lab: Any) -> list[int]:
    """The pids of the scheduler's children that are LocalExecutor workers."""
    import psutil

    scheduler = psutil.Process(_pids(lab)["scheduler"])
    workers = []
    for child in scheduler.children():
        try:
            if "LocalExecutor" in " ".join(child.cmdline()):
                workers.append(child.pid)
        except psutil.Error:  # a worker that just exited
            continue
    return workers


def _int(answer: Any) -> int:
    expect(
        isinstance(answer, int) and not isinstance(answer, bool),
        f"the answer should be an int, got {type(answer).__name__} {answer!r}",
    )
    return answer


@exercise("processes.loc['scheduler', 'pid'], or pid['scheduler']")
def exercise_1(answer: Any, lab: Any = None) -> str:
    given = _int(answer)
    pids = _pids(lab)
    owner = {p: name for name, p in pids.items()}.get(given)
    expect(
        given not in local_executor_workers(lab),
        f"{given} is one of the scheduler's worker processes, not the scheduler itself",
        "take the scheduler's own pid, the parent of the workers",
    )
    expect(
        owner is None or owner == "scheduler",
        f"{given} is the pid of the {owner}, not of the scheduler",
        "take the row whose service is `scheduler`",
    )
    expect(
        given == pids["scheduler"],
        f"{given} is not the scheduler's pid right now (did the stack restart since?)",
        "rerun section 2, then read the scheduler's row",
    )
    return passed(f"the scheduler runs as pid {given}; the executor lives inside it")


@exercise("the table whose rows have a job_type and a latest_heartbeat")
def exercise_2(answer: Any, lab: Any = None) -> str:
    expect(isinstance(answer, str), f"the answer should be a string, got {type(answer).__name__}")
    table = answer.strip().strip('"').lower().removeprefix("public.")
    columns = lab.sql(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s",
        (table,),
        database="airflow",
    )
    expect(
        not columns.empty,
        f"the metastore has no table called {table!r}",
        "section 4 queries it: SELECT ... FROM <table> ORDER BY job_type, id DESC",
    )
    expect(
        "latest_heartbeat" in set(columns.column_name),
        f"the table {table!r} exists but has no latest_heartbeat column",
        "heartbeats are written by scheduler, triggerer and dag-processor jobs",
    )
    beats = lab.sql(
        f"SELECT count(*) FROM \"{table}\" WHERE latest_heartbeat > now() - interval '1 minute'",
        database="airflow",
    ).iloc[0, 0]
    return passed(
        f"`{table}`: {beats} heartbeat row(s) written in the last minute; "
        "the health endpoint reads them"
    )


@exercise("count the scheduler's children whose command line contains LocalExecutor")
def exercise_3(answer: Any, lab: Any = None) -> str:
    given = _int(answer)
    workers = local_executor_workers(lab)
    expect(
        given == len(workers),
        f"{given} is not the number of LocalExecutor workers: count the scheduler's children again",
        "[c for c in psutil.Process(pid['scheduler']).children() if 'LocalExecutor' in ' '.join(c.cmdline())]",
    )
    return passed(
        f"{len(workers)} workers, forked by the scheduler at start: one per slot of [core] parallelism "
        f"({lab.settings.parallelism} in this lab)"
    )
