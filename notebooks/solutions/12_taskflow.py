"""Solutions for notebook 12 · TaskFlow: ``@task`` functions, XComArgs and ``multiple_outputs``.

Each ``exercise_N(lab)`` returns an answer that ``airflow_lab.checks.nb12.exercise_N``
accepts; ``WRONG`` holds a plausible mistake per exercise that the checker rejects,
with words its message must contain.
"""

from __future__ import annotations

EX1_HEAD = """\
from __future__ import annotations

from datetime import UTC, datetime

from airflow.providers.http.operators.http import HttpOperator
from airflow.sdk import DAG, task

with DAG(
    dag_id="ex12_1_taskflow",
    schedule=None,
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["lab", "12", "exercise"],
):
    extract_nft = HttpOperator(
        task_id="extract_nft",
        http_conn_id="opensea_api",
        method="GET",
        endpoint="api/v2/collection/doodles-official/nfts",
        data={"limit": 5},
        response_filter=lambda response: response.json(),
    )
"""

EX2 = """\
from __future__ import annotations

from datetime import UTC, datetime

from airflow.providers.http.hooks.http import HttpHook
from airflow.sdk import dag, task


@dag(
    dag_id="ex12_2_multiple_outputs",
    schedule=None,
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["lab", "12", "exercise"],
)
def ex12_2_multiple_outputs():
    @task
    def extract_nft() -> list:
        hook = HttpHook(method="GET", http_conn_id="opensea_api")
        response = hook.run("api/v2/collection/doodles-official/nfts", data={"limit": 5})
        return response.json()["nfts"]

# summarize
    @task
    def report(count: int, first_name: str) -> str:
        return f"{count} NFTs, the first is {first_name}"

    summary = summarize(extract_nft())
    report(summary["count"], summary["first_name"])


ex12_2_multiple_outputs()
"""


def exercise_1(lab):
    """The callable becomes a @task function that takes the page; its call draws the edge."""
    return EX1_HEAD + (
        "\n"
        "    @task\n"
        "    def process_nft(payload: dict) -> list:\n"
        "        return [\n"
        '            {"token_id": str(nft["identifier"]), "name": nft.get("name") or ""}\n'
        '            for nft in payload["nfts"]\n'
        "        ]\n"
        "\n"
        "    process_nft(extract_nft.output)\n"
    )


def exercise_2(lab):
    """multiple_outputs=True: each key of the returned dict is an XCom of its own."""
    return EX2.replace(
        "# summarize\n",
        (
            "    @task(multiple_outputs=True)\n"
            "    def summarize(nfts: list):\n"
            '        return {"count": len(nfts), "first_name": nfts[0]["name"]}\n'
        ),
    )


EX3 = """\
from __future__ import annotations

from datetime import UTC, datetime

from airflow.sdk import Param, dag, task


@dag(
    dag_id="ex12_3_context",
    schedule=None,
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["lab", "12", "exercise"],
    params={"limit": Param(5, type="integer", minimum=1, maximum=200)},
)
def ex12_3_context():
    @task
    def stamp(SIGNATURE) -> str:
        return RESULT

    stamp()


ex12_3_context()
"""


def exercise_3(lab):
    """The function names three context keys as parameters: run_id, params and ti."""
    return EX3.replace("SIGNATURE", "run_id=None, params=None, ti=None").replace(
        "RESULT", "f\"{run_id} limit={params['limit']} try={ti.try_number}\""
    )


WRONG = {
    # a @task, but the page still travels by xcom_pull and the edge by >>
    "exercise_1": (
        EX1_HEAD
        + (
            "\n"
            "    @task\n"
            "    def process_nft(ti=None) -> list:\n"
            '        payload = ti.xcom_pull(task_ids="extract_nft")\n'
            '        return [{"token_id": str(nft["identifier"])} for nft in payload["nfts"]]\n'
            "\n"
            "    extract_nft >> process_nft()\n"
        ),
        "receives no other task's XCom",
    ),
    # the dict is returned whole: one XCom, return_value
    "exercise_2": (
        EX2.replace(
            "# summarize\n",
            (
                "    @task\n"
                "    def summarize(nfts):\n"
                '        return {"count": len(nfts), "first_name": nfts[0]["name"]}\n'
            ),
        ),
        "kept whole",
    ),
    # limit is a param, not a context key: a parameter of that name stays None
    "exercise_3": (
        EX3.replace("SIGNATURE", "run_id=None, limit=None, ti=None").replace(
            "RESULT", 'f"{run_id} limit={limit} try={ti.try_number}"'
        ),
        "the run's conf set limit",
    ),
}
