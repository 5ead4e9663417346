"""Solutions for notebook 17 · Deferrable operators and the triggerer.

Each ``exercise_N(lab)`` returns an answer that ``airflow_lab.checks.nb17.exercise_N``
accepts; ``WRONG`` holds a plausible mistake per exercise that the checker rejects,
with words its message must contain.
"""

from __future__ import annotations

HEAD = """\
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.providers.standard.sensors.time_delta import TimeDeltaSensor
from airflow.sdk import DAG

with DAG(
    dag_id="{dag_id}",
    schedule=None,
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["lab", "17", "exercise"],
    default_args={{"retries": 1, "retry_delay": timedelta(seconds=1)}},
):
"""


def exercise_1(lab):
    """The same sensor, told to defer: its wait becomes a DateTimeTrigger in the triggerer."""
    return HEAD.format(dag_id="ex17_1_deferred_drop") + (
        "    wait_for_drop = TimeDeltaSensor(\n"
        '        task_id="wait_for_drop",\n'
        "        delta=timedelta(seconds=8),\n"
        "        deferrable=True,\n"
        "    )\n"
    )


def exercise_2(lab):
    """All eight sensors defer: none holds a worker slot while it waits."""
    return HEAD.format(dag_id="ex17_2_eight_sensors") + (
        "    for i in range(8):\n"
        "        TimeDeltaSensor(\n"
        '            task_id=f"wait_{i}",\n'
        "            delta=timedelta(seconds=10),\n"
        "            poke_interval=1,\n"
        "            deferrable=True,\n"
        "        )\n"
    )


WRONG = {
    # frees the slot between pokes, but never defers
    "exercise_1": (
        exercise_1(None).replace("deferrable=True", 'mode="reschedule", poke_interval=1'),
        "up_for_reschedule",
    ),
    # the starting point: eight poking sensors hold all four slots
    "exercise_2": (
        exercise_2(None).replace("            deferrable=True,\n", ""),
        "held every worker slot",
    ),
}
