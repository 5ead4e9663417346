"""Solutions for notebook 04 · DAGs, operators and tasks.

Each ``exercise_N(lab)`` returns an answer that ``airflow_lab.checks.nb04.exercise_N``
accepts; ``WRONG`` holds a typical mistake per exercise with words its message must contain.
"""

from __future__ import annotations

from airflow_lab.checks.nb04 import BROKEN_SOURCE


def exercise_1(lab):
    """A DAG file: two downloads fan in to merge, which fans out to publish and archive."""
    return '''"""ex04_1: a fan-in, then a fan-out (notebook 04, exercise 1)."""
from __future__ import annotations

from datetime import UTC, datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG(
    dag_id="ex04_1_shape",
    schedule=None,
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["lab", "exercise"],
):
    download_a = EmptyOperator(task_id="download_a")
    download_b = EmptyOperator(task_id="download_b")
    merge = EmptyOperator(task_id="merge")
    publish = EmptyOperator(task_id="publish")
    archive = EmptyOperator(task_id="archive")
    [download_a, download_b] >> merge >> [publish, archive]
'''


def exercise_2(lab):
    """The provider's import path, and no edge from load back to fetch."""
    return BROKEN_SOURCE.replace(
        "airflow.operators.bash_operator", "airflow.providers.standard.operators.bash"
    ).replace("    load >> fetch\n", "")


def exercise_3(lab):
    """Sensors subclass BaseSensorOperator; GenericTransfer moves rows; the rest act."""
    return {
        "BashOperator": "action",
        "GenericTransfer": "transfer",
        "FileSensor": "sensor",
        "SQLExecuteQueryOperator": "action",
        "HttpSensor": "sensor",
    }


def exercise_4(lab):
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


def _chain_source():
    """A plausible mistake for exercise 1: everything in one chain."""
    return exercise_1(None).replace(
        "[download_a, download_b] >> merge >> [publish, archive]",
        "download_a >> download_b >> merge >> publish >> archive",
    )


WRONG = {
    # a chain: Airflow parses it, but merge then has one upstream task
    "exercise_1": (_chain_source(), "download_a >> download_b"),
    # the file as given: the dag-processor stops at its first fault
    "exercise_2": (BROKEN_SOURCE, "line"),
    # GenericTransfer "moves data", but a learner may call every SQL operator a transfer
    "exercise_3": (
        {
            "BashOperator": "action",
            "GenericTransfer": "transfer",
            "FileSensor": "sensor",
            "SQLExecuteQueryOperator": "transfer",
            "HttpSensor": "sensor",
        },
        "SQLExecuteQueryOperator",
    ),
    # the task the cycle leads back to, not the one the message names
    "exercise_4": ("transform", "does not name"),
}
