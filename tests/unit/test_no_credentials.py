"""No credential in dags/, the notebooks (sources and committed outputs) or the docs.

Secrets are generated per lab under .lab/ and never committed, so a committed file
that carries one is a leak. The patterns catch the forms a leak would take here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PATTERNS = {
    "a JWT": re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
    # placeholders (USER:PASSWORD, ${VAR}, ***) are documentation, not secrets
    "a URL with a password": re.compile(
        r"\w+://[^\s:/@'\"]+:(?!PASSWORD@|password@|\$\{|\*+@)[^\s@/'\"]{6,}@"
    ),
    "a Jupyter token in a URL": re.compile(r"[?&]token=[A-Za-z0-9_-]{16,}"),
    "an API key header value": re.compile(r"x-api-key['\"]?\s*[:=]\s*['\"][A-Za-z0-9_-]{16,}"),
    "a password value": re.compile(r"password['\"]?\s*[:=]\s*['\"][A-Za-z0-9_-]{10,}['\"]", re.I),
    "a Fernet key": re.compile(r"[A-Za-z0-9_-]{43}="),
}
FILES = sorted(
    [
        *ROOT.glob("dags/**/*.py"),
        *ROOT.glob("notebooks/**/*.ipynb"),
        *ROOT.glob("notebooks/**/*.py"),
        *ROOT.glob("*.md"),
        *ROOT.glob("docs/**/*.md"),
        ROOT / "docker-compose.yaml",
    ]
)


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_no_credential_in_committed_file(path: Path) -> None:
    # pictures are base64 and match anything; they are not where a secret hides
    text = re.sub(r'"image/(png|jpeg)": "[^"]*"', "", path.read_text(errors="replace"))
    found = {name: m.group(0)[:12] + "…" for name, rx in PATTERNS.items() if (m := rx.search(text))}
    assert not found, f"{path.relative_to(ROOT)} looks like it carries {found}"


def test_the_scan_catches_a_planted_secret() -> None:
    planted = 'conn = "postgresql://nft:s3cretPassw0rd@127.0.0.1:5433/nft"; headers = {"x-api-key": "AbCdEfGhIjKlMnOpQrSt"}'
    assert PATTERNS["a URL with a password"].search(planted)
    assert PATTERNS["an API key header value"].search(planted)
