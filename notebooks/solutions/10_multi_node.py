"""Solutions to notebook 10 · Multi node: the queue outside the executor.

Each function takes the live lab (in the notebook: ``multi``, the multi-node stack)
and returns the answer its checker accepts.
"""

from __future__ import annotations


def exercise_1(lab):
    # The Redis list the messages wait in is named after the queue: [operators] default_queue.
    return lab.airflow("config", "get-value", "operators", "default_queue").tail(1).strip()


def exercise_2(lab):
    # Where the queue is: a redis:// URL (env AIRFLOW__CELERY__BROKER_URL).
    return "celery.broker_url"


def exercise_3(lab):
    # 30 on the lab's celery stack, Airflow's default 300 elsewhere.
    value = lab.airflow("config", "get-value", "scheduler", "task_instance_heartbeat_timeout")
    return int(value.tail(1))


WRONG = {
    "exercise_1": "celery",  # Celery's own default queue name, which Airflow overrides
    "exercise_2": "celery.result_backend",  # where results go, not the queue
    "exercise_3": 5,  # the detection interval, not the timeout
}
