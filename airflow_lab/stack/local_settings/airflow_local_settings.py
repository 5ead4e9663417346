"""Airflow's local settings for the lab: task workers start with the task code loaded.

Airflow imports a module named ``airflow_local_settings`` in every process, when it
initialises (its documented "local settings" file). The lab uses one hook of it,
``configure_action_logging``, where a deployment registers callbacks that run before
each ``airflow`` command: this one loads, in the scheduler and in a Celery worker,
the modules every task of the course imports.

Why: the LocalExecutor forks its worker processes from the scheduler when it starts,
and each task runs in a process forked from a worker. A module the scheduler has
loaded is there, already imported, in every task; one it has not is imported again
by every task (the DAG file's providers: about 0.5 s of a task's 0.7 s on a 2-core
laptop, and pandas 0.7 s more). A Celery worker forks its pool the same way. The
modules add about 40 MB to the lab's idle memory, shared by the scheduler and its
forks.

The lab puts this folder on the Airflow processes' ``PYTHONPATH``;
docker-compose.yaml mounts the file where the image looks, ``/opt/airflow/config/``.
Nothing here changes what a task does, only when its imports happen.
"""

from __future__ import annotations

import importlib
import logging

__all__ = ["configure_action_logging"]

#: The task runner's supervisor, the operators, sensors and hooks of the providers
#: the course's DAGs use, and pandas.
TASK_MODULES = (
    "airflow.sdk.execution_time.supervisor",
    "airflow.providers.standard.operators.python",
    "airflow.providers.standard.operators.bash",
    "airflow.providers.standard.sensors.python",
    "airflow.providers.common.sql.operators.sql",
    "airflow.providers.postgres.hooks.postgres",
    "airflow.providers.http.operators.http",
    "airflow.providers.http.sensors.http",
    # The one library besides Airflow the course's DAGs use (in their tasks, not at
    # the top of the file, so that parsing stays quick): 0.7 s of every import.
    "pandas",
)

#: The commands whose processes fork the processes that run tasks, by the name of
#: the function that runs them (``airflow scheduler``, ``airflow celery worker``).
FORKING_COMMANDS = frozenset({"scheduler", "worker"})


def _load_task_modules(sub_command: str | None = None, **_: object) -> None:
    """The pre-execution callback: Airflow passes the command's name and more."""
    if sub_command not in FORKING_COMMANDS:
        return
    for name in TASK_MODULES:
        try:
            importlib.import_module(name)
        except ImportError as e:  # a provider not installed: its tasks import it themselves
            logging.getLogger(__name__).warning("not preloaded: %s (%s)", name, e)


def configure_action_logging() -> None:
    """Airflow calls this once per process; the callback runs before the command."""
    from airflow.utils import cli_action_loggers

    cli_action_loggers.register_pre_exec_callback(_load_task_modules)
