"""Solutions for notebook 13 · Params, templates and the trigger form.

Each ``exercise_N(lab)`` returns an answer that ``airflow_lab.checks.nb13.exercise_N``
accepts; ``WRONG`` holds a plausible mistake per exercise that the checker rejects,
with words its message must contain.
"""

from __future__ import annotations

EX1 = """\
from __future__ import annotations

from datetime import UTC, datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, Param

with DAG(
    dag_id="ex13_1_params",
    schedule=None,
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["lab", "13", "exercise"],
    params={
PARAMS    },
):
    BashOperator(task_id="show", bash_command="echo {{ params.collection }} {{ params.limit }}")
"""

EX2 = """\
from __future__ import annotations

from datetime import UTC, datetime

from airflow.providers.http.operators.http import HttpOperator
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, Param

with DAG(
    dag_id="ex13_2_templated",
    schedule=None,
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["lab", "13", "exercise"],
    params={
        "collection": Param("doodles-official", type="string"),
        "limit": Param(20, type="integer", minimum=1, maximum=200),
    },
):
    extract_nft = HttpOperator(
        task_id="extract_nft",
        http_conn_id="opensea_api",
        method="GET",
        endpoint=ENDPOINT,
        data=DATA,
        response_filter=lambda response: response.json()["nfts"],
    )
    save_page = BashOperator(task_id="save_page", bash_command=COMMAND)
    extract_nft >> save_page
"""


def exercise_1(lab):
    """A pattern anchored at both ends for the slug; an integer range for the page size."""
    return EX1.replace(
        "PARAMS",
        '        "collection": Param(\n'
        '            "doodles-official", type="string", pattern="^[A-Za-z0-9_-]+$"\n'
        "        ),\n"
        '        "limit": Param(5, type="integer", minimum=1, maximum=50),\n',
    )


def exercise_2(lab):
    """Both fields read params; the day comes from dag_run.run_after, which every run has."""
    return (
        EX2.replace("ENDPOINT", '"api/v2/collection/{{ params.collection }}/nfts"')
        .replace("DATA", '{"limit": "{{ params.limit }}"}')
        .replace("COMMAND", '"echo nfts_{{ dag_run.run_after | ds_nodash }}.json"')
    )


WRONG = {
    # a pattern without anchors matches any text that contains one allowed character
    "exercise_1": (exercise_1(None).replace('"^[A-Za-z0-9_-]+$"', '"[A-Za-z0-9_-]+"'), "accepted"),
    # ds_nodash: a scheduled run has it, a manual run without a logical date does not
    "exercise_2": (
        exercise_2(None).replace("dag_run.run_after | ds_nodash", "ds_nodash"),
        "without a logical date",
    ),
}
