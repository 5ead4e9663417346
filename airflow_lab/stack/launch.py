"""Start one service with its environment read from a private file, then become it.

The supervisor's config would otherwise have to carry secrets (connection URIs,
JWT secret) in its ``environment=`` lines, with their own quoting rules. Instead it
runs ``python -m airflow_lab.stack.launch ENV_FILE -- COMMAND...``, which loads the JSON
file (mode 600) and ``exec``s the command: same pid, no extra process. ``--nice N``
lowers the command's priority first (see ``airflow_lab.stack.services``).

Before a scheduler starts it also ends the LocalExecutor workers a killed scheduler
left behind (see :func:`airflow_lab.stack.processes.reap_orphaned_local_workers`).
"""

from __future__ import annotations

import json
import os
import sys

USAGE = "usage: python -m airflow_lab.stack.launch ENV_FILE [--nice N] -- COMMAND [ARGS...]"


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    nice = 0
    if args[1:2] == ["--nice"] and len(args) > 2 and args[2].isdigit():
        nice = int(args[2])
        del args[1:3]
    if len(args) < 3 or args[1] != "--":
        print(USAGE, file=sys.stderr)
        return 2
    with open(args[0]) as fh:
        env = {**os.environ, **json.load(fh)}
    command = args[2:]
    if nice:
        os.nice(nice)  # inherited by the command, and by every process it forks
    if command[1:2] == ["scheduler"]:
        from airflow_lab.stack.processes import reap_orphaned_local_workers

        reaped = reap_orphaned_local_workers(os.getcwd())
        if reaped:
            print(f"airflow-lab: ended {reaped} orphaned LocalExecutor worker(s)", flush=True)
    os.execvpe(command[0], command, env)
    return 0  # not reached


if __name__ == "__main__":
    raise SystemExit(main())
