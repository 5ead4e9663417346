"""Start one service with its environment read from a private file, then become it.

The supervisor's config would otherwise have to carry secrets (connection URIs,
JWT secret) in its ``environment=`` lines, with their own quoting rules. Instead it
runs ``python -m airflow_lab.launch ENV_FILE -- COMMAND...``, which loads the JSON
file (mode 600) and ``exec``s the command: same pid, no extra process.
"""

from __future__ import annotations

import json
import os
import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 3 or args[1] != "--":
        print("usage: python -m airflow_lab.launch ENV_FILE -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    with open(args[0]) as fh:
        env = {**os.environ, **json.load(fh)}
    command = args[2:]
    os.execvpe(command[0], command, env)
    return 0  # not reached


if __name__ == "__main__":
    raise SystemExit(main())
