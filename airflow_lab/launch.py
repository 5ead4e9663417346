"""Start one service with its environment read from a private file, then become it.

The supervisor's config would otherwise have to carry secrets (connection URIs,
JWT secret) in its ``environment=`` lines, with their own quoting rules. Instead it
runs ``python -m airflow_lab.launch ENV_FILE -- COMMAND...``, which loads the JSON
file (mode 600) and ``exec``s the command: same pid, no extra process.

Before a scheduler starts it also ends the LocalExecutor workers a killed scheduler
left behind. They are orphans with nothing to do, but they inherited the dead
scheduler's database socket, so its open transaction (and the row locks it holds)
outlives it, and the new scheduler would wait on those locks forever.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys

#: The process title Airflow gives a LocalExecutor's worker processes.
LOCAL_WORKER_TITLE = "airflow worker -- LocalExecutor"


def reap_orphaned_local_workers(home: str) -> int:
    """Kill LocalExecutor workers of the lab at ``home`` (their working directory).

    Called only as a scheduler starts: supervisord runs one scheduler per lab and
    starts it again only after the last one exited, so any such worker is an orphan.
    """
    import psutil

    orphans = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        with contextlib.suppress(psutil.Error):
            title = " ".join(proc.info["cmdline"] or []) or proc.info["name"] or ""
            if title.startswith(LOCAL_WORKER_TITLE) and proc.cwd() == home:
                orphans.append(proc)
    for proc in orphans:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(orphans, timeout=5)
    return len(orphans)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 3 or args[1] != "--":
        print("usage: python -m airflow_lab.launch ENV_FILE -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    with open(args[0]) as fh:
        env = {**os.environ, **json.load(fh)}
    command = args[2:]
    if command[1:2] == ["scheduler"]:
        reaped = reap_orphaned_local_workers(os.getcwd())
        if reaped:
            print(f"airflow-lab: ended {reaped} orphaned LocalExecutor worker(s)", flush=True)
    os.execvpe(command[0], command, env)
    return 0  # not reached


if __name__ == "__main__":
    raise SystemExit(main())
