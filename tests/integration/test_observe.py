"""How the checkers read Airflow's reaction (``airflow_lab.checks.observe``), on the live stack.

A learner who fixes a DAG and checks again a few seconds later must be judged on the
fixed file: Airflow's default keeps a DAG serialized less than 30 s ago, and the
api-server its cached copy, so the graph of the previous version would come back.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from airflow_lab.checks import observe
from airflow_lab.notebook import Lab
from airflow_lab.settings import Settings

DAG_ID = "test_observe_shape"
FILE = f"{DAG_ID}.py"

TEMPLATE = """
from __future__ import annotations

from datetime import UTC, datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG(dag_id="{dag_id}", schedule=None, start_date=datetime(2024, 1, 1, tzinfo=UTC)):
    a, b, c = (EmptyOperator(task_id=t) for t in "abc")
    {edges}
"""


@pytest.fixture(scope="module")
def nb_lab(lab: Settings) -> Iterator[Lab]:
    nb_lab = Lab(lab)
    yield nb_lab
    nb_lab.dags.remove(FILE)


def test_a_dag_changed_seconds_later_is_judged_on_its_new_graph(nb_lab: Lab) -> None:
    chain = observe.parse_dag_file(
        nb_lab, FILE, TEMPLATE.format(dag_id=DAG_ID, edges="a >> b >> c"), DAG_ID
    )
    assert chain.edges == [("a", "b"), ("b", "c")], chain.describe()
    fan_in = observe.parse_dag_file(
        nb_lab, FILE, TEMPLATE.format(dag_id=DAG_ID, edges="[a, b] >> c"), DAG_ID
    )
    assert fan_in.edges == [("a", "c"), ("b", "c")], fan_in.describe()
    # The REST API serves the same graph as the parse the checker waited for.
    tasks = nb_lab.api.get(f"/api/v2/dags/{DAG_ID}/tasks")["tasks"]
    assert {t["task_id"]: sorted(t["downstream_task_ids"]) for t in tasks} == fan_in.graph


def test_an_import_error_comes_back_with_its_line(nb_lab: Lab) -> None:
    broken = TEMPLATE.format(dag_id=DAG_ID, edges="a >> b >>")
    seen = observe.parse_dag_file(nb_lab, FILE, broken, DAG_ID)
    assert seen.import_error and f"{FILE}:" in seen.import_error, seen.describe()
    assert "SyntaxError" in seen.import_error
