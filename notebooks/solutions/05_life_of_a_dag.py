"""Solutions for notebook 05 · The life of a DAG.

Each ``exercise_N(lab)`` returns an answer that ``airflow_lab.checks.nb05.exercise_N``
accepts; ``WRONG`` holds a plausible mistake per exercise that the checker rejects.
"""

from __future__ import annotations

import time

DAG_ID = "nb05_life_of_a_dag"

# A minimal stand-in for the notebook's DAG, written only when the notebook has not
# run on this stack yet (exercise 1 needs the dag-processor to have parsed the file).
_FALLBACK_SOURCE = '''"""nb05: stand-in written by the solutions of notebook 05."""
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG(dag_id="nb05_life_of_a_dag", schedule=None, tags=["lab", "nb05"]):
    EmptyOperator(task_id="prepare")
'''


def _parse_duration(lab):
    df = lab.sql(
        "SELECT last_parse_duration FROM dag WHERE dag_id = %s", (DAG_ID,), database="airflow"
    )
    return None if df.empty or df.iloc[0, 0] is None else float(df.iloc[0, 0])


def exercise_1(lab):
    """The dag table's last_parse_duration: the dag-processor's own measurement."""
    if not lab.api.dag_exists(DAG_ID):
        lab.dags.write("nb05_life_of_a_dag.py", _FALLBACK_SOURCE, DAG_ID)
    deadline = time.monotonic() + 60
    while (value := _parse_duration(lab)) is None and time.monotonic() < deadline:
        time.sleep(0.5)
    return value


def exercise_2(lab):
    """Handed to the executor, waiting for a worker slot."""
    return "queued"


def exercise_3(lab):
    """Airflow 3's separate parsing component: `airflow dag-processor`."""
    return "dag-processor"


WRONG = {
    # the dag-processor's re-parse interval (min_file_process_interval), not a duration
    "exercise_1": 30.0,
    # one state too early: decided, but not yet handed to the executor
    "exercise_2": "scheduled",
    # the seed's answer, true before Airflow 3
    "exercise_3": "scheduler",
}
