"""Solutions for notebook 06e · Task 5: ``store_nft``.

Each ``exercise_N(lab)`` returns an answer that ``airflow_lab.checks.nb06e.exercise_N``
accepts; ``WRONG`` holds, per exercise, a typical mistake and words its message says.
"""

from __future__ import annotations


def exercise_1(lab):
    """An upsert: insert what is new, update what is stored, fail on nothing."""
    return """
INSERT INTO ex06e_1_nfts (token_id, name, image_url)
SELECT token_id, name, image_url
FROM json_to_recordset(%(rows)s::json) AS page(token_id TEXT, name TEXT, image_url TEXT)
ON CONFLICT (token_id) DO UPDATE
    SET name = EXCLUDED.name, image_url = EXCLUDED.image_url
"""


def exercise_2(lab):
    """The rows travel as one JSON parameter; the SQL text never holds a name."""
    return """
store = SQLExecuteQueryOperator(
    task_id="store",
    conn_id="db_postgre",
    sql=\"\"\"
        INSERT INTO ex06e_2_nfts (token_id, name, image_url)
        SELECT token_id, name, image_url
        FROM json_to_recordset(%(rows)s::json) AS r(token_id TEXT, name TEXT, image_url TEXT)
    \"\"\",
    parameters={"rows": "{{ ti.xcom_pull(task_ids='fetch') | tojson }}"},
)
"""


WRONG = {
    # A plain INSERT: right once, then the primary key stops the second run.
    "exercise_1": (
        "INSERT INTO ex06e_1_nfts (token_id, name, image_url) "
        "SELECT token_id, name, image_url FROM json_to_recordset(%(rows)s::json) "
        "AS page(token_id TEXT, name TEXT, image_url TEXT)",
        "the second failed",
    ),
    # Names pasted into the SQL text by Jinja: token 13's quote ends the string early.
    "exercise_2": (
        """
store = SQLExecuteQueryOperator(
    task_id="store",
    conn_id="db_postgre",
    sql=\"\"\"INSERT INTO ex06e_2_nfts VALUES
    {% for r in ti.xcom_pull(task_ids='fetch') %}
    ('{{ r.token_id }}', '{{ r.name }}', '{{ r.image_url }}'){{ ',' if not loop.last }}
    {% endfor %}\"\"\",
)
""",
        "the run failed",
    ),
}
