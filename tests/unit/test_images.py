"""The course's pictures: built from their sources, up to date, all there, and true.

``images/build.py`` renders ``images/src/`` into ``images/*.svg`` and ``*.png`` and
records in ``images/manifest.json`` the sha256 of the sources each picture came from.
A source changed without a rebuild, a picture edited by hand, a notebook linking a
picture that does not exist, or a picture of the DAG that no longer matches the
DAG: each fails here.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

ROOT = Path(__file__).resolve().parents[2]
IMAGES = ROOT / "images"
REBUILD = "run `make images` (python images/build.py) and commit the result"


def _load(script: str):
    """A script of images/, imported by path (images/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"images_{script}", IMAGES / f"{script}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _load("build")
MANIFEST = json.loads((IMAGES / build.MANIFEST).read_text())
OUTPUTS = sorted(f"{name}.{fmt}" for name in build.diagrams.DIAGRAMS for fmt in build.FORMATS)


@pytest.mark.parametrize("name", sorted(build.diagrams.DIAGRAMS))
def test_every_diagram_has_svg_and_png(name):
    svg, png = IMAGES / f"{name}.svg", IMAGES / f"{name}.png"
    assert svg.exists() and png.exists(), f"images/{name}.svg/.png missing: {REBUILD}"
    assert ElementTree.parse(svg).getroot().tag.endswith("svg")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_manifest_lists_exactly_the_pictures():
    on_disk = sorted(p.name for p in IMAGES.iterdir() if p.suffix in (".svg", ".png"))
    assert sorted(MANIFEST["outputs"]) == OUTPUTS, f"manifest out of date: {REBUILD}"
    assert on_disk == OUTPUTS, (
        f"pictures no source makes (or missing): {set(on_disk) ^ set(OUTPUTS)}"
    )


@pytest.mark.parametrize("output", OUTPUTS)
def test_pictures_are_built_from_the_current_sources(output):
    recorded = MANIFEST["outputs"][output]["sources"]
    current = build.source_hashes()
    changed = sorted(name for name in current if recorded.get(name) != current[name])
    assert not changed, f"images/{output} was built before {', '.join(changed)} changed: {REBUILD}"
    assert set(recorded) == set(current), f"images/{output}: sources changed: {REBUILD}"


@pytest.mark.parametrize("output", OUTPUTS)
def test_pictures_are_not_edited_by_hand(output):
    actual = build.sha256(IMAGES / output)
    assert actual == MANIFEST["outputs"][output]["sha256"], (
        f"images/{output} is not what build.py wrote: change images/src/ instead, then {REBUILD}"
    )


@pytest.mark.skipif(
    sys.platform != "linux", reason="bytes pinned on Linux, where the pictures are built"
)
def test_a_rebuild_gives_the_same_bytes(tmp_path):
    build.build(tmp_path)
    for output in OUTPUTS:
        assert (tmp_path / output).read_bytes() == (IMAGES / output).read_bytes(), (
            f"images/{output} differs from a fresh build: {REBUILD}"
        )


def _image_links(text: str) -> list[str]:
    """Targets of markdown images/links and HTML src= attributes that point into images/."""
    targets = re.findall(r"\]\(\s*<?([^)\s>]+)", text) + re.findall(
        r"src\s*=\s*[\"']([^\"']+)", text
    )
    return [t.split("#")[0] for t in targets if "images/" in t and "://" not in t]


def _documents():
    for notebook in sorted((ROOT / "notebooks").rglob("*.ipynb")):
        if ".ipynb_checkpoints" in notebook.parts:
            continue
        cells = json.loads(notebook.read_text())["cells"]
        text = "\n".join(
            "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in cells
            if c["cell_type"] == "markdown"
        )
        yield notebook, text
    for markdown in sorted(ROOT.glob("*.md")) + sorted((ROOT / "notebooks").rglob("*.md")):
        yield markdown, markdown.read_text()


def test_every_linked_picture_exists():
    missing = []
    for document, text in _documents():
        for target in _image_links(text):
            if not (document.parent / target).resolve().exists():
                missing.append(f"{document.relative_to(ROOT)} -> {target}")
    assert not missing, "links to pictures that do not exist:\n  " + "\n  ".join(missing)


def test_link_finder_sees_markdown_and_html():
    text = '![x](../images/a.svg) <img src="../images/b.png" width=600> [c](https://x/images/c.png)'
    assert _image_links(text) == ["../images/a.svg", "../images/b.png"]


def test_the_pipeline_picture_is_the_dag(nft_pipeline):
    """Task ids in order, operators and connection ids, as dags/nft_pipeline.py has them."""
    dag = nft_pipeline.dag
    (task,) = dag.roots
    chain = [task]
    while task.downstream_list:
        (task,) = task.downstream_list
        chain.append(task)
    drawn = [(t[0], t[1], t[2]) for t in build.diagrams.NFT_TASKS]
    actual = [
        (
            t.task_id,
            type(t).__name__,
            getattr(t, "conn_id", None) or getattr(t, "http_conn_id", None),
        )
        for t in chain
    ]
    assert drawn == actual, "images/src/diagrams.py NFT_TASKS no longer matches the DAG"


def test_the_lifecycle_has_the_seeds_eight_steps():
    assert len(build.diagrams.LIFECYCLE) == 8


# ---- Screenshots of the UI (images/screenshots.py, taken from the live stack) ------------

SHOTS_DIR = IMAGES / "screenshots"
RESHOOT = "run `make images` with the lab stack up and commit images/screenshots/"


shots = _load("screenshots")
SHOT_MANIFEST = json.loads(shots.MANIFEST.read_text())


def test_every_screenshot_is_there_and_recorded():
    on_disk = sorted(p.name for p in SHOTS_DIR.glob("*.png"))
    assert on_disk == sorted(shots.SHOTS), f"screenshots missing or unknown: {RESHOOT}"
    assert sorted(SHOT_MANIFEST["shots"]) == sorted(shots.SHOTS), f"manifest stale: {RESHOOT}"


@pytest.mark.parametrize("name", sorted(shots.SHOTS))
def test_screenshots_are_what_the_script_took(name):
    path = SHOTS_DIR / name
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shots.sha256(path) == SHOT_MANIFEST["shots"][name]["sha256"], (
        f"images/screenshots/{name} was changed by hand: {RESHOOT}"
    )


def test_screenshots_are_of_the_current_airflow_and_script():
    from airflow_lab.settings import AIRFLOW_VERSION

    assert SHOT_MANIFEST["airflow_version"] == AIRFLOW_VERSION, (
        f"screenshots show Airflow {SHOT_MANIFEST['airflow_version']}: {RESHOOT}"
    )
    assert SHOT_MANIFEST["script_sha256"] == shots.sha256(IMAGES / "screenshots.py"), (
        f"images/screenshots.py changed since the screenshots were taken: {RESHOOT}"
    )


@pytest.mark.parametrize(
    ("notebook", "name"),
    [
        ("02_architecture.ipynb", "ui_dag_list.png"),
        ("07_whole_pipeline.ipynb", "ui_nft_pipeline_grid.png"),
        ("07_whole_pipeline.ipynb", "ui_nft_pipeline_graph.png"),
        ("13_params_and_templates.ipynb", "ui_nft_pipeline_trigger.png"),
    ],
)
def test_notebooks_show_the_screenshots(notebook, name):
    text = dict((p.name, t) for p, t in _documents())[notebook]
    assert f"../images/screenshots/{name}" in _image_links(text), (
        f"notebooks/{notebook} should show images/screenshots/{name} beside the URL to open"
    )
