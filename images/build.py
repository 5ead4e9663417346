"""Render the course's diagrams: ``images/src/`` -> ``images/<name>.svg`` and ``.png``.

    python images/build.py            # every diagram, and images/manifest.json
    python images/build.py --out DIR  # somewhere else (tests compare a rebuild)

The pictures are built files, kept in git so that notebooks show them on any web
viewer; ``manifest.json`` records the sha256 of the sources each one was made from
(and of each output), so a test can tell when a source changed without a rebuild.
Output is deterministic: the same sources and matplotlib give the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SRC = HERE / "src"
sys.path.insert(0, str(SRC))

import diagrams  # noqa: E402
import style  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402

#: The files every picture is made from, as paths relative to the repository root.
SOURCES = ("images/build.py", "images/src/diagrams.py", "images/src/style.py")
FORMATS = ("svg", "png")
PNG_DPI = 150
MANIFEST = "manifest.json"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def source_hashes(root: Path = ROOT) -> dict[str, str]:
    return {name: sha256(root / name) for name in SOURCES}


def render(name: str, out_dir: Path) -> list[Path]:
    """Draw one diagram, check it, and write it in every format."""
    canvas = diagrams.DIAGRAMS[name]()
    try:
        style.check(canvas)
        paths = []
        for fmt in FORMATS:
            path = out_dir / f"{name}.{fmt}"
            if fmt == "svg":  # no date: a rebuild must not change the file
                canvas.fig.savefig(path, format="svg", metadata={"Date": None})
            else:  # no matplotlib version stamp either
                canvas.fig.savefig(path, format="png", dpi=PNG_DPI, metadata={"Software": None})
            paths.append(path)
        return paths
    finally:
        plt.close(canvas.fig)


def build(out_dir: Path = HERE) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    sources = source_hashes()
    outputs = {}
    for name in diagrams.DIAGRAMS:
        for path in render(name, out_dir):
            outputs[path.name] = {"sha256": sha256(path), "sources": sources}
            print(f"wrote {path}")
    manifest = {
        "generator": "images/build.py (run `make images`)",
        "outputs": dict(sorted(outputs.items())),
    }
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: images/)")
    args = parser.parse_args(argv)
    try:
        build(args.out)
    except ValueError as exc:  # style.check: tofu or text outside its box
        print(f"images/build.py: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
