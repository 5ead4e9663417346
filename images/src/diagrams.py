"""The course's diagrams, one function a picture; ``images/build.py`` renders them.

Each function returns a :class:`style.Canvas`. Labels use Airflow 3's names and
keep the study note's (seed's) words beside them where they differ, in English:
the font the pictures are pinned to (matplotlib's DejaVu Sans) has no Hangul
glyphs, nor has any font on the machines that build them, and ``style.check``
refuses to ship empty boxes. The note's terms map one to one: 웹 서버 web server,
스케줄러 scheduler, 메타스토어 metastore, 익스큐터 executor, 워커 worker.

What a picture states is data here (``LIFECYCLE``, ``NFT_TASKS``), so tests can hold
it against the code it describes (the DAG's task ids and operators).
"""

from __future__ import annotations

from style import ARROW, MUTED, Canvas

# ---- 1. one node -------------------------------------------------------------------------


def components_one_node() -> Canvas:
    c = Canvas(11.6, 6.9)
    c.title(
        "Airflow's components on one node",
        "One machine runs them all: the lab stack, or docker compose. "
        "In grey: the seed's name, where Airflow 3 renamed it.",
    )

    you = c.box(0.35, 4.45, 2.0, 1.05, "you", ("browser, notebooks,", "airflow CLI"), kind="you")
    api = c.box(
        3.35,
        4.3,
        3.4,
        1.35,
        "api-server",
        ("seed: web server", "UI, REST API, execution API"),
        kind="api",
    )
    workers = c.box(8.75, 4.3, 2.5, 1.35, "workers", ("run the tasks",), kind="worker")
    dags = c.box(0.35, 2.3, 2.0, 1.15, "DAG files", ("dags/ folder", "(Python)"), kind="files")
    parser = c.box(
        2.8,
        2.3,
        2.0,
        1.15,
        "dag-processor",
        ("parses DAG files", "(new in Airflow 3)"),
        kind="dag-processor",
        title_size=11,
    )
    scheduler = c.box(5.45, 1.95, 3.0, 1.75, "", kind="scheduler")
    c.attach(
        scheduler,
        c.text(scheduler.cx, scheduler.top - 0.25, "scheduler", size=12, style="bold"),
        c.text(scheduler.cx, scheduler.top - 0.52, "decides WHEN", size=9.5),
    )
    executor = c.box(
        5.65,
        2.07,
        2.6,
        0.85,
        "executor",
        ("decides HOW: LocalExecutor",),
        kind="executor",
        title_size=10.5,
        line_size=9,
        zorder=2.5,
    )
    meta = c.box(
        3.35,
        0.35,
        4.75,
        1.05,
        "metastore",
        ("PostgreSQL: DAGs, runs, task states",),
        kind="metastore",
    )
    triggerer = c.box(
        8.75,
        0.35,
        2.5,
        1.05,
        "triggerer",
        ("waits for deferred tasks",),
        kind="triggerer",
        title_size=11,
        line_size=8.5,
    )

    c.arrow((you.right, 4.97), (api.x, 4.97), "UI, REST", label_offset=(0, 0.17))
    c.arrow((dags.right, dags.cy), (parser.x, parser.cy), "read", label_offset=(0, 0.17))
    c.arrow(
        (parser.cx - 0.2, parser.y),
        (meta.x + 0.45, meta.top),
        "serialized DAGs",
        label_at=0.45,
        label_offset=(-0.05, 0),
        label_ha="right",
    )
    c.arrow(
        (5.05, api.y),
        (5.05, meta.top),
        "read, write",
        both=True,
        label_at=0.14,
        label_offset=(0.08, 0),
        label_ha="left",
    )
    c.arrow(
        (scheduler.cx + 0.4, scheduler.y),
        (scheduler.cx + 0.4, meta.top),
        "DagRuns, task instances",
        both=True,
        label_offset=(0.08, 0),
        label_ha="left",
    )
    c.arrow(
        (executor.right, executor.cy),
        (workers.cx, workers.y),
        "run a task",
        rad=0.25,
        label_at=0.5,
        label_offset=(0.45, -0.1),
        label_ha="left",
    )
    c.arrow((workers.x, 4.97), (api.right, 4.97), "state, XCom", label_offset=(0, 0.17))
    c.arrow(
        (triggerer.x, triggerer.cy),
        (meta.right, triggerer.cy),
        "triggers",
        both=True,
        label_offset=(0, 0.17),
    )
    c.text(
        0.35,
        0.42,
        "Airflow 3: running tasks report\nthrough the api-server, never\nstraight to the metastore.",
        size=9,
        color=MUTED,
        ha="left",
        va="bottom",
        style="italic",
    )
    return c


# ---- 2. multi node -----------------------------------------------------------------------


def multi_node() -> Canvas:
    c = Canvas(11.6, 7.2)
    c.title(
        "Multi node: the queue sits outside the executor",
        "One node: the executor keeps its queue inside. Multi node: a Celery broker holds "
        "it, and workers on other machines take tasks from it.",
    )

    node1 = c.box(
        0.35,
        4.05,
        7.6,
        2.0,
        "node 1",
        kind="machine",
        dashed=True,
        label_top=True,
        title_size=10,
        title_style="bold",
        zorder=1,
    )
    api = c.box(
        0.6,
        4.3,
        1.8,
        1.25,
        "api-server",
        ("seed: web server", "UI, REST"),
        kind="api",
        title_size=11,
        line_size=9,
    )
    c.box(
        2.55,
        4.3,
        1.6,
        1.25,
        "dag-processor",
        ("parses", "DAG files"),
        kind="dag-processor",
        title_size=10,
        line_size=9,
    )
    c.box(
        4.3,
        4.3,
        1.3,
        1.25,
        "triggerer",
        ("deferred", "tasks"),
        kind="triggerer",
        title_size=10,
        line_size=9,
    )
    scheduler = c.box(5.75, 4.3, 2.0, 1.5, "", kind="scheduler")
    c.attach(
        scheduler, c.text(scheduler.cx, scheduler.top - 0.22, "scheduler", size=11, style="bold")
    )
    executor = c.box(
        5.87,
        4.4,
        1.76,
        0.8,
        "executor",
        ("CeleryExecutor",),
        kind="executor",
        title_size=10,
        line_size=9,
        zorder=2.5,
    )
    dbnode = c.box(
        8.75,
        4.05,
        2.5,
        2.0,
        "database server",
        kind="machine",
        dashed=True,
        label_top=True,
        title_size=10,
        zorder=1,
    )
    meta = c.box(
        8.95,
        4.3,
        2.1,
        1.25,
        "metastore",
        ("PostgreSQL",),
        kind="metastore",
        title_size=11,
        line_size=9,
    )
    queue = c.box(
        4.35,
        2.35,
        4.3,
        1.05,
        "queue: Celery broker",
        ("Redis / Valkey, a server of its own",),
        kind="queue",
    )
    xs = (0.35, 4.05, 7.75)
    workers = []
    for i, x in enumerate(xs, start=2):
        c.box(
            x,
            0.35,
            3.5,
            1.55,
            f"node {i}",
            kind="machine",
            dashed=True,
            label_top=True,
            title_size=10,
            zorder=1,
        )
        workers.append(
            c.box(
                x + 0.5,
                0.5,
                2.5,
                0.95,
                "worker",
                ("runs the tasks",),
                kind="worker",
                title_size=11,
                line_size=9,
            )
        )

    c.arrow(
        (executor.cx, executor.y),
        (executor.cx, queue.top),
        "send task",
        label_offset=(0.08, 0),
        label_ha="left",
    )
    for w in workers:
        c.arrow((queue.cx + (w.cx - queue.cx) * 0.35, queue.y), (w.cx, w.top), color=ARROW)
    c.text(queue.cx - 0.15, 2.05, "take a task", size=9.5, color=MUTED, ha="left")
    c.arrow(
        (api.cx - 0.35, workers[0].top),
        (api.cx - 0.35, api.y),
        "state, XCom",
        dashed=True,
        label_offset=(0.1, 0),
        label_ha="left",
    )
    c.arrow(
        (node1.right, meta.cy),
        (dbnode.x, meta.cy),
        "metadata",
        both=True,
        label_offset=(0, 0.2),
        label_size=9,
    )
    c.text(
        c.width - 0.35,
        2.55,
        "The lab: 2 workers, each\nwith its own /tmp, on\none machine (celery profile).",
        size=9,
        color=MUTED,
        ha="right",
        va="bottom",
        style="italic",
    )
    return c


# ---- 3. the life of a DAG ----------------------------------------------------------------

#: The seed's eight steps, in Airflow 3's terms: (who, what, optional state or note).
LIFECYCLE = (
    ("you", "you", "write a DAG file and put\nit in the DAGs folder", None),
    (
        "dag-processor",
        "dag-processor",
        "parses it and stores\nthe DAG in the metastore",
        "seed: web server and scheduler",
    ),
    ("scheduler", "scheduler", "creates a DagRun (an\ninstance of the DAG)", "DagRun: running"),
    ("scheduler", "scheduler", "schedules the DagRun's\ntask instances", "task: scheduled"),
    ("executor", "scheduler", "sends the task instances\nto the executor", "task: queued"),
    (
        "worker",
        "executor + worker",
        "runs the task and reports\nthe result to the metastore",
        "task: success",
    ),
    ("scheduler", "scheduler", "checks whether the\nDagRun is complete", "DagRun: success"),
    ("api", "api-server (UI)", "shows the new states:\nthe UI updates", None),
)


def dag_lifecycle() -> Canvas:
    c = Canvas(12.0, 6.3)
    c.title(
        "The life of a DAG, in eight steps",
        "From a file you write to a green run in the UI (the seed's section 5, "
        "in Airflow 3's names).",
    )
    w, h, gap = 2.45, 1.75, 0.42
    x0 = (c.width - 4 * w - 3 * gap) / 2
    rows = (3.15, 0.55)
    cards = []
    for i, (kind, who, what, note) in enumerate(LIFECYCLE):
        row, col = divmod(i, 4)
        col = col if row == 0 else 3 - col  # the second row runs back, right to left
        x, y = x0 + col * (w + gap), rows[row]
        card = c.box(x, y, w, h, "", kind=kind)
        c.badge(x + 0.32, y + h - 0.3, i + 1, kind=kind)
        c.attach(
            card,
            c.text(x + 0.62, y + h - 0.3, who, size=11, style="bold", ha="left"),
            c.text(x + w / 2, y + h / 2 - 0.08, what, size=9.5, linespacing=1.35),
        )
        if note:
            if note.startswith("seed:"):
                c.attach(
                    card, c.text(x + w / 2, y + 0.22, note, size=8.5, style="italic", color=MUTED)
                )
            else:
                c.attach(card, c.chip(x + w / 2, y + 0.26, note, kind=kind, size=8.5))
        cards.append(card)
    for i in range(len(cards) - 1):
        a, b = cards[i], cards[i + 1]
        if i == 3:  # the turn at the right-hand end
            c.arrow((a.cx, a.y), (b.cx, b.top))
        elif i < 3:
            c.arrow((a.right, a.cy), (b.x, b.cy))
        else:
            c.arrow((a.x, a.cy), (b.right, b.cy))
    return c


# ---- 4. the nft-pipeline DAG -------------------------------------------------------------

#: The five tasks in order: (task_id, operator class, connection id or None, seed's operator, kind).
NFT_TASKS = (
    ("creating_table", "SQLExecuteQueryOperator", "db_postgre", "PostgresOperator", "sql"),
    ("is_api_available", "HttpSensor", "opensea_api", "HttpSensor", "http"),
    ("extract_nft", "HttpOperator", "opensea_api", "SimpleHttpOperator", "http"),
    ("process_nft", "PythonOperator", None, "PythonOperator", "python"),
    ("store_nft", "SQLExecuteQueryOperator", "db_postgre", "BashOperator", "sql"),
)


def nft_pipeline() -> Canvas:
    c = Canvas(13.7, 5.7)
    c.title(
        "nft-pipeline: five tasks, once a day",
        "creating_table >> is_api_available >> extract_nft >> process_nft >> store_nft",
    )
    w, h, gap = 2.2, 1.65, 0.5
    x0 = (c.width - 5 * w - 4 * gap) / 2
    y = 2.85
    cards = []
    for i, (task_id, operator, conn_id, seed_operator, kind) in enumerate(NFT_TASKS):
        x = x0 + i * (w + gap)
        card = c.box(x, y, w, h, "", kind=kind)
        seed = "same as the seed" if seed_operator == operator else f"seed: {seed_operator}"
        c.attach(
            card,
            c.text(x + w / 2, y + h - 0.3, task_id, size=10.5, style="mono-bold"),
            c.text(x + w / 2, y + h - 0.65, operator, size=8.8 if len(operator) > 20 else 9.5),
            c.text(x + w / 2, y + h - 0.95, seed, size=8.3, style="italic", color=MUTED),
            c.chip(
                x + w / 2,
                y + 0.3,
                conn_id or "no connection",
                kind=kind if conn_id else "files",
                size=8.5,
            ),
        )
        cards.append(card)
    for i in range(len(cards) - 1):
        a, b = cards[i], cards[i + 1]
        label = "XCom" if NFT_TASKS[i][0] in ("extract_nft", "process_nft") else None
        c.arrow((a.right, a.cy), (b.x, b.cy), label, label_offset=(0, 0.22), label_size=8.5)

    api = c.box(
        cards[1].x,
        1.45,
        cards[2].right - cards[1].x,
        0.85,
        "NFT API",
        ("OpenSea v2 API, or the lab's offline copy",),
        kind="http",
        title_size=11,
        line_size=9,
    )
    db = c.box(
        cards[0].x,
        0.3,
        cards[4].right - cards[0].x,
        0.8,
        "PostgreSQL: the nft database",
        ("table nfts (token_id, name, image_url)",),
        kind="sql",
        title_size=11,
        line_size=9,
    )
    for i in (1, 2):
        c.arrow((cards[i].cx, cards[i].y), (cards[i].cx, api.top), dashed=True)
    for i in (0, 4):
        c.arrow((cards[i].cx, cards[i].y), (cards[i].cx, db.top), dashed=True)
    c.text(
        cards[3].cx,
        1.85,
        "pandas json_normalize:\nrows for the table",
        size=9,
        color=MUTED,
        style="italic",
    )
    return c


#: Every diagram ``images/build.py`` renders, by output name.
DIAGRAMS = {
    "components_one_node": components_one_node,
    "multi_node": multi_node,
    "dag_lifecycle": dag_lifecycle,
    "nft_pipeline": nft_pipeline,
}
