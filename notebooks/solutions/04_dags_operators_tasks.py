"""Solutions for notebook 04 · DAGs, operators and tasks.

Each ``exercise_N(lab)`` returns an answer that ``airflow_lab.checks.nb04.exercise_N``
accepts; ``WRONG`` holds a plausible mistake per exercise that the checker rejects.
"""

from __future__ import annotations

from datetime import UTC, datetime


def exercise_1(lab):
    """A fan-in: both downloads first, then merge."""
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.sdk import DAG

    with DAG(
        dag_id="nb04_fan_in", schedule=None, start_date=datetime(2024, 1, 1, tzinfo=UTC)
    ) as my_dag:
        download_a = EmptyOperator(task_id="download_a")
        download_b = EmptyOperator(task_id="download_b")
        merge = EmptyOperator(task_id="merge")
        [download_a, download_b] >> merge
    return my_dag


def exercise_2(lab):
    """Sensors subclass BaseSensorOperator; GenericTransfer moves rows; the rest act."""
    return {
        "BashOperator": "action",
        "GenericTransfer": "transfer",
        "FileSensor": "sensor",
        "SQLExecuteQueryOperator": "action",
        "HttpSensor": "sensor",
    }


def exercise_3(lab):
    """Build the DAG, catch the cycle error, take the task it names."""
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.sdk import DAG
    from airflow.sdk.exceptions import AirflowDagCycleException

    with DAG(dag_id="nb04_exercise_cycle", schedule=None) as cyc:
        extract, transform, validate, load = (
            EmptyOperator(task_id=t) for t in ("extract", "transform", "validate", "load")
        )
        extract >> transform >> validate >> load
        validate >> transform
    try:
        cyc.check_cycle()
    except AirflowDagCycleException as e:
        return str(e).rsplit(" ", 1)[-1]
    return None


def _chain_dag():
    """A plausible mistake for exercise 1: a chain instead of a fan-in."""
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.sdk import DAG

    with DAG(dag_id="nb04_chain", schedule=None) as my_dag:
        download_a = EmptyOperator(task_id="download_a")
        download_b = EmptyOperator(task_id="download_b")
        merge = EmptyOperator(task_id="merge")
        download_a >> download_b >> merge
    return my_dag


WRONG = {
    "exercise_1": _chain_dag(),
    # GenericTransfer "moves data", but a learner may call every SQL operator a transfer
    "exercise_2": {
        "BashOperator": "action",
        "GenericTransfer": "transfer",
        "FileSensor": "sensor",
        "SQLExecuteQueryOperator": "transfer",
        "HttpSensor": "sensor",
    },
    # the task the cycle leads back to, not the one the message names
    "exercise_3": "transform",
}
