"""The host name Airflow records for a task instance, per lab worker.

Two Celery workers on one laptop share one real host name, so the metastore could
not tell which worker ran a task. Each lab worker gets ``AIRFLOW_LAB_HOSTNAME``
(``worker-1``, ``worker-2``), and Airflow's ``[core] hostname_callable`` points here.
"""

from __future__ import annotations

import os
import socket


def lab_hostname() -> str:
    """The worker's lab name when it has one, else the machine's name (Airflow's default)."""
    return os.environ.get("AIRFLOW_LAB_HOSTNAME") or socket.getfqdn()
