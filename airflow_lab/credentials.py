"""Generated secrets for one lab: made once, kept under the lab's home with mode 600.

Nothing here is ever a default like admin/admin, and nothing is written to git: the
home folder (``.lab/``) is git-ignored. A notebook or a log shows where a secret
lives, never the secret.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

from airflow_lab.settings import Settings


@dataclass(frozen=True)
class Credentials:
    admin_password: str
    postgres_password: str
    airflow_db_password: str
    nft_db_password: str
    nft_api_key: str
    jwt_secret: str
    api_secret_key: str
    fernet_key: str
    jupyter_token: str


def _token(n: int = 24) -> str:
    return secrets.token_urlsafe(n)


def _generate() -> Credentials:
    return Credentials(
        admin_password=_token(12),
        postgres_password=_token(),
        airflow_db_password=_token(),
        nft_db_password=_token(),
        nft_api_key=_token(),
        jwt_secret=_token(64),
        api_secret_key=_token(32),
        fernet_key=base64.urlsafe_b64encode(os.urandom(32)).decode(),
        jupyter_token=_token(),
    )


def write_private(path: Path, text: str) -> None:
    """Write a file that only its owner can read, with no moment where it is wider."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.chmod(path, 0o600)


def load_credentials(settings: Settings, *, create: bool = True) -> Credentials:
    """Read the lab's secrets, generating them the first time."""
    path = settings.secrets_file
    if path.exists():
        data = json.loads(path.read_text())
        return Credentials(**data)
    if not create:
        from airflow_lab.errors import StackDownError

        raise StackDownError(f"the lab at {settings.home}")
    creds = _generate()
    write_private(path, json.dumps(asdict(creds), indent=2))
    # SimpleAuthManager reads its users' passwords from this JSON file.
    write_private(settings.passwords_file, json.dumps({"admin": creds.admin_password}))
    return creds
