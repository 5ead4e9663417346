"""One root exception, so the CLI and the notebooks can catch the kit's own failures
once and show their message instead of a traceback.

Every message says what to do next, not only what went wrong.
"""

from __future__ import annotations


class LabError(Exception):
    """Base class: something the learner can fix, with a message that says how."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        self.hint = hint
        super().__init__(f"{message}{': ' + hint if hint else ''}")

    def _render_traceback_(self) -> list[str]:
        # IPython calls this instead of printing a traceback: a notebook shows one
        # line that says what to do, and nbval or papermill still fails at this cell.
        return [f"\x1b[31m{type(self).__name__}\x1b[0m: {self}"]


class PortBusyError(LabError):
    """A port the stack needs is held by another process."""

    def __init__(self, service: str, port: int, owner: str, env_var: str) -> None:
        self.service, self.port, self.owner, self.env_var = service, port, owner, env_var
        super().__init__(
            f"port {port} for {service} is taken by {owner}",
            hint=f"stop it, or set {env_var} (or AIRFLOW_LAB_PORT_OFFSET) to use another port",
        )


class MissingBinaryError(LabError):
    """A server binary the stack needs is not installed on this platform."""


class ServiceError(LabError):
    """A service did not start or did not become healthy in time."""

    def __init__(self, service: str, reason: str, log: str = "") -> None:
        self.service, self.reason, self.log = service, reason, log
        super().__init__(
            f"{service} {reason}",
            hint=f"see {log} or run `airflow-lab logs {service}`" if log else "",
        )


class StackDownError(LabError):
    """The notebook or command needs the stack, and it is not running."""

    def __init__(self, what: str = "the lab stack") -> None:
        super().__init__(
            f"{what} is not running", hint="start it with `airflow-lab up` (or `make lab`)"
        )


class StackBusyError(LabError):
    """Another `airflow-lab up`/`down` holds the stack's lock."""


class ApiError(LabError):
    """The Airflow REST API answered with an error."""

    def __init__(self, method: str, path: str, status: int, detail: str) -> None:
        self.method, self.path, self.status, self.detail = method, path, status, detail
        super().__init__(f"{method} {path} answered {status}: {detail}")


class CheckFailed(LabError, AssertionError):
    """An exercise answer is not right yet; the message says what to look at."""


class SettingError(LabError, ValueError):
    """An ``AIRFLOW_LAB_*`` environment variable holds something the kit cannot use."""
