"""Start one service with its environment read from a private file, then become it.

The supervisor's config would otherwise have to carry secrets (connection URIs,
JWT secret) in its ``environment=`` lines, with their own quoting rules. Instead it
runs ``python -m airflow_lab.stack.launch ENV_FILE -- COMMAND...``, which loads the JSON
file (mode 600) and ``exec``s the command: same pid, no extra process.

Before a scheduler starts it also ends the LocalExecutor workers a killed scheduler
left behind (see :func:`airflow_lab.stack.processes.reap_orphaned_local_workers`).
"""

from __future__ import annotations

import json
import os
import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 3 or args[1] != "--":
        print(
            "usage: python -m airflow_lab.stack.launch ENV_FILE -- COMMAND [ARGS...]",
            file=sys.stderr,
        )
        return 2
    with open(args[0]) as fh:
        env = {**os.environ, **json.load(fh)}
    command = args[2:]
    if command[1:2] == ["scheduler"]:
        from airflow_lab.stack.processes import reap_orphaned_local_workers

        reaped = reap_orphaned_local_workers(os.getcwd())
        if reaped:
            print(f"airflow-lab: ended {reaped} orphaned LocalExecutor worker(s)", flush=True)
    os.execvpe(command[0], command, env)
    return 0  # not reached


if __name__ == "__main__":
    raise SystemExit(main())
