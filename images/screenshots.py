"""Screenshots of the Airflow UI as a learner sees it, taken from the live lab stack.

    python images/screenshots.py      # what `make images` runs after the diagrams

A real headless browser (Debian's chromium, driven by Playwright) logs in as the
lab's admin, as a learner would, and photographs four pages: the DAG list,
``nft-pipeline``'s grid after a run, that run's graph, and the DAG's trigger form
with its Params. The run is triggered here through the REST API first, so the
pictures always show a green run.

    python images/screenshots.py ui_nft_pipeline_trigger.png   # retake some only

Named shots are retaken alone; the manifest keeps the other pictures' entries.

``images/screenshots/manifest.json`` records what each picture was taken with (the
sha256 of this script, the Airflow version) and the sha256 of the picture, so a
test can tell a stale or hand-edited screenshot. Pixels differ from run to run
(times, run ids), so unlike the diagrams these are not rebuilt by the tests.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from airflow_lab.api import AirflowApi  # noqa: E402
from airflow_lab.credentials import load_credentials  # noqa: E402
from airflow_lab.errors import LabError, MissingBinaryError, StackDownError  # noqa: E402
from airflow_lab.settings import AIRFLOW_VERSION, DAG_ID, Settings, load_settings  # noqa: E402

OUT = HERE / "screenshots"
MANIFEST = OUT / "manifest.json"
#: file name -> what it shows (also the alt text the notebooks use)
SHOTS = {
    "ui_dag_list.png": "The DAG list, filtered by the tag nft: schedule, last run, next run",
    "ui_nft_pipeline_grid.png": "nft-pipeline's grid: one column per run, one row per task",
    "ui_nft_pipeline_graph.png": "nft-pipeline's graph for one run, each task coloured by state",
    "ui_nft_pipeline_trigger.png": "nft-pipeline's trigger form: one field per Param, with its default",
}
#: The shots that show the run triggered first.
RUN_SHOTS = ("ui_nft_pipeline_grid.png", "ui_nft_pipeline_graph.png")
VIEWPORT = {"width": 1400, "height": 820}
#: Chromium on a machine without network access: no background connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def chromium(settings: Settings) -> str:
    """The browser binary: ``AIRFLOW_LAB_CHROMIUM``, or chromium on PATH."""
    found = settings.chromium or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise MissingBinaryError(
            "no chromium found for the screenshots",
            hint="install Debian's chromium (apt install chromium) or set AIRFLOW_LAB_CHROMIUM",
        )
    return found


def take(settings: Settings, out: Path = OUT, only: list[str] | None = None) -> dict:
    """Take the shots (``only`` those named, if given) and rewrite the manifest."""
    from playwright.sync_api import sync_playwright

    wanted = [name for name in SHOTS if not only or name in only]
    api = AirflowApi(settings)
    try:
        api.dag(DAG_ID)
    except LabError as e:
        raise StackDownError("the lab stack (needed for the screenshots)") from e
    run_url = ""
    if set(wanted) & set(RUN_SHOTS):
        run = api.run_dag(DAG_ID, datetime.now(UTC).isoformat(), {"limit": 20})
        if run["state"] != "success":
            raise LabError(f"{DAG_ID} ended '{run['state']}'", hint="fix the run, then try again")
        run_url = f"{settings.api_url}/dags/{DAG_ID}/runs/{run['dag_run_id']}"
    password = load_credentials(settings, create=False).admin_password
    out.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(settings), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT, color_scheme="light")
        # The login a learner sees: SimpleAuthManager's form, user admin.
        page.goto(f"{settings.api_url}/")
        page.fill("input[name=username]", "admin")
        page.fill("input[name=password]", password)
        page.keyboard.press("Enter")
        page.wait_for_url(lambda url: "/auth/login" not in url, timeout=30_000)

        def shoot(url: str, name: str, wait_for: str) -> None:
            page.goto(url)
            page.wait_for_load_state("networkidle")
            page.get_by_text(wait_for).first.wait_for(timeout=30_000)
            page.wait_for_timeout(800)  # let the charts finish their transitions
            page.screenshot(path=str(out / name))

        if "ui_dag_list.png" in wanted:
            shoot(f"{settings.api_url}/dags?tags=nft", "ui_dag_list.png", DAG_ID)
        if run_url:
            shoot(run_url, "ui_nft_pipeline_grid.png", "store_nft")
            # The second of the two view buttons above the grid ("Show Graph", or the
            # key g) switches to the graph.
            graph_button = page.get_by_role("button", name="Show Graph")
            if graph_button.count():
                graph_button.first.click()
            else:
                page.keyboard.press("g")
            page.wait_for_load_state("networkidle")
            page.get_by_text("store_nft").first.wait_for(timeout=30_000)
            page.wait_for_timeout(1500)  # the graph lays itself out
            page.screenshot(path=str(out / "ui_nft_pipeline_graph.png"))
        if "ui_nft_pipeline_trigger.png" in wanted:
            # The DAG page's Trigger button opens the form Airflow builds from the Params.
            page.goto(f"{settings.api_url}/dags/{DAG_ID}")
            page.wait_for_load_state("networkidle")
            page.get_by_role("button", name="Trigger").first.click()
            page.get_by_role("dialog").get_by_text("limit").first.wait_for(timeout=30_000)
            page.wait_for_timeout(800)
            page.screenshot(path=str(out / "ui_nft_pipeline_trigger.png"))
        browser.close()

    old = json.loads(MANIFEST.read_text())["shots"] if MANIFEST.exists() else {}
    shots = {
        name: {"sha256": sha256(out / name), "shows": SHOTS[name]}
        if name in wanted
        else {**old[name], "shows": SHOTS[name]}
        for name in SHOTS
    }
    manifest = {
        "generator": "images/screenshots.py (run `make images` with the lab stack up)",
        "airflow_version": AIRFLOW_VERSION,
        "script_sha256": sha256(HERE / "screenshots.py"),
        "shots": shots,
    }
    (out / MANIFEST.name).write_text(json.dumps(manifest, indent=2) + "\n")
    manifest["taken"] = wanted
    return manifest


def main() -> int:
    try:
        unknown = [name for name in sys.argv[1:] if name not in SHOTS]
        if unknown:
            raise LabError(f"no shot named {unknown}", hint=f"the shots: {', '.join(SHOTS)}")
        manifest = take(load_settings(), only=sys.argv[1:] or None)
    except LabError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    for name in manifest["taken"]:
        print(f"wrote images/screenshots/{name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
