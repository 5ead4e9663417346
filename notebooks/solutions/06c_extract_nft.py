"""Solutions for notebook 06c · ``extract_nft``: HttpOperator and XCom.

Each ``exercise_N(lab)`` returns an answer that ``airflow_lab.checks.nb06c.exercise_N``
accepts; ``WRONG`` holds a plausible mistake per exercise that the checker rejects,
with words its message must contain.
"""

from __future__ import annotations

HEAD = """\
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.providers.http.operators.http import HttpOperator
from airflow.sdk import DAG

with DAG(
    dag_id="{dag_id}",
    schedule=None,
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    catchup=False,
    default_args={{"retries": 1, "retry_delay": timedelta(seconds=1)}},
    tags=["lab", "06c", "exercise"],
):
"""


def exercise_1(lab):
    """The filter parses the body and keeps each NFT's identifier."""
    return HEAD.format(dag_id="ex06c_1_response_filter") + (
        "    extract_ids = HttpOperator(\n"
        '        task_id="extract_ids",\n'
        '        http_conn_id="opensea_api",\n'
        '        method="GET",\n'
        '        endpoint="api/v2/collection/doodles-official/nfts",\n'
        '        data={"limit": 5},\n'
        '        response_filter=lambda response: [nft["identifier"] for nft in '
        'response.json()["nfts"]],\n'
        "    )\n"
    )


def exercise_2(lab):
    """A task's return value is pushed under this key."""
    return "return_value"


def exercise_3(lab):
    """False for a page without NFTs fails the try; the retry gets a good page."""
    return HEAD.format(dag_id="ex06c_3_response_check") + (
        "    extract_page = HttpOperator(\n"
        '        task_id="extract_page",\n'
        '        http_conn_id="opensea_api",\n'
        '        method="GET",\n'
        '        endpoint="api/v2/collection/doodles-official/nfts",\n'
        '        data={"limit": 5},\n'
        '        response_check=lambda response: len(response.json()["nfts"]) > 0,\n'
        "        response_filter=lambda response: response.json(),\n"
        "    )\n"
    )


WRONG = {
    # no filter: HttpOperator pushes the body as text
    "exercise_1": (
        exercise_1(None).replace(
            '        response_filter=lambda response: [nft["identifier"] for nft in '
            'response.json()["nfts"]],\n',
            "",
        ),
        "string",
    ),
    # the task id, not the key
    "exercise_2": ("extract_nft", "task id"),
    # a check that only looks at the status code: the empty page answers 200
    "exercise_3": (
        exercise_3(None).replace('len(response.json()["nfts"]) > 0', "response.ok"),
        "empty page passed",
    ),
}
