"""Solutions for notebook 15 · Assets and data-aware scheduling.

Each ``exercise_N(lab)`` returns an answer that ``airflow_lab.checks.nb15.exercise_N``
accepts; ``WRONG`` holds a plausible mistake per exercise that the checker rejects,
with words its message must contain. The DAGs are the notebook's starters with the fix.
"""

from __future__ import annotations

ON_NFTS = """\
from __future__ import annotations

from datetime import UTC, datetime

from airflow.providers.postgres.hooks.postgres import PostgresHook
from airflow.sdk import DAG, Asset, task

with DAG(
    dag_id="ex15_1_on_nfts",
    SCHEDULE
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["lab", "15", "exercise"],
):

    @task
    def count_nfts() -> int:
        hook = PostgresHook(postgres_conn_id="db_postgre")
        return hook.get_first("SELECT count(*) FROM nfts")[0]

    count_nfts()
"""

BOTH = """\
from __future__ import annotations

from datetime import UTC, datetime

from airflow.sdk import DAG, Asset, task

NFTS_TABLE = Asset(name="nfts", uri="postgres://postgres:5432/nft/public/nfts")
PRICES_TABLE = Asset(name="nft_prices", uri="postgres://postgres:5432/nft/public/nft_prices")

with DAG(
    dag_id="ex15_2_both",
    SCHEDULE
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["lab", "15", "exercise"],
):

    @task
    def price_report(triggering_asset_events=None) -> list[str]:
        return sorted(asset.name for asset in triggering_asset_events)

    price_report()
"""


def exercise_1(lab):
    """Scheduled on the nfts asset: the same name and URI as the producer's outlet."""
    return ON_NFTS.replace(
        "SCHEDULE",
        'schedule=[Asset(name="nfts", uri="postgres://postgres:5432/nft/public/nfts")],',
    )


def exercise_2(lab):
    """Both assets must have changed: the & of the two."""
    return BOTH.replace("SCHEDULE", "schedule=(NFTS_TABLE & PRICES_TABLE),")


WRONG = {
    # the asset named by a URI of its own: another asset than the producer's
    "exercise_1": (
        ON_NFTS.replace(
            "SCHEDULE",
            'schedule=[Asset(name="nft_table", uri="postgres://postgres:5432/nft/public/nft")],',
        ),
        "no run of your DAG followed",
    ),
    # either one: the nfts event alone starts a run
    "exercise_2": (
        BOTH.replace("SCHEDULE", "schedule=(NFTS_TABLE | PRICES_TABLE),"),
        "nfts event alone",
    ),
}
