"""The lab stack: one layer that starts, stops, checks and configures it.

Each concern has one home, and the rest of the package (the CLI, ``doctor``, the
notebooks' :class:`~airflow_lab.notebook.Lab`, the checkers) uses only the names
below:

=====================  ======================================================
``services``           what runs: the services, declared as plain data
``supervisor``         supervisord: its config file and its XML-RPC client
``processes``          ports and processes: owners, strays, orphans, kills
``health``             is each service healthy, asked the way it answers
``postgres``           the embedded or external PostgreSQL server
``airflow_config``     Airflow's configuration, as environment variables
``airflow_cli``        runs ``airflow ...`` with that configuration
``lifecycle``          ``up`` / ``down`` / ``status`` / ``reset``
``launch``             starts one service with its private environment
=====================  ======================================================

Names load on first use, so ``python -m airflow_lab.stack.launch`` (run once per
service start) imports nothing it does not need.
"""

from __future__ import annotations

import importlib
from typing import Any

#: The layer's public face: name -> the module that holds it.
_PUBLIC = {
    "up": "lifecycle",
    "down": "lifecycle",
    "status": "lifecycle",
    "reset": "lifecycle",
    "current_profile": "lifecycle",
    "executor_for": "lifecycle",
    "stack_lock": "lifecycle",
    "ServiceStatus": "lifecycle",
    "run_airflow": ("airflow_cli", "run"),
    "airflow_env": "airflow_config",
    "celery_env": "airflow_config",
    "metastore_url": "airflow_config",
    "nft_db_url": "airflow_config",
    "venv_bin": "airflow_config",
    "build_services": "services",
    "broker_binary": "services",
    "airflow_health": "health",
    "compose_healthy": "health",
    "port_open": "processes",
    "busy_ports": "processes",
    "names_path": "processes",
    "strays": "processes",
    "supervisor_tree": "processes",
    "supervisor_running": ("supervisor", "running"),
    "process_table": ("supervisor", "process_table"),
    "supervisor_client": ("supervisor", "client"),
    "postgres_binaries": ("postgres", "bin_dir"),
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    target = _PUBLIC.get(name)
    if target is None:
        raise AttributeError(f"module 'airflow_lab.stack' has no attribute {name!r}")
    module, attr = target if isinstance(target, tuple) else (target, name)
    return getattr(importlib.import_module(f"airflow_lab.stack.{module}"), attr)
