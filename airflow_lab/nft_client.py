"""The local NFT API as a notebook or a test calls it: pages, and faults on demand.

The server (:mod:`airflow_lab.nft_api`) can misbehave on request; this client is
the one place that switches a fault on and off (``POST`` / ``DELETE /admin/faults``),
so a lesson on retries or sensors, and the fault tests, do it the same way.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import requests

from airflow_lab.credentials import load_credentials
from airflow_lab.settings import Settings


class NftApiClient:
    """Talks to the lab's NFT API with the lab's key (the key itself is never printed)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = settings.nft_api_url

    def _headers(self) -> dict[str, str]:
        return {"x-api-key": load_credentials(self.settings, create=False).nft_api_key}

    def get(self, path: str, *, key: bool = True, **params: Any) -> requests.Response:
        """GET a path (``/api/v2/collection/…/nfts``), with the lab's key unless ``key=False``."""
        return requests.get(
            f"{self.url}{path}",
            params=params or None,
            headers=self._headers() if key else {},
            timeout=30,
        )

    def set_fault(self, kind: str, count: int | None = None, **options: Any) -> dict:
        """``POST /admin/faults``: the next ``count`` data requests fail as ``kind``
        (``None``: until :meth:`clear_faults`)."""
        resp = requests.post(
            f"{self.url}/admin/faults",
            json={"kind": kind, "count": count, **options},
            headers=self._headers(),
            timeout=10,
        )
        resp.raise_for_status()
        return resp.json()

    def clear_faults(self) -> None:
        """``DELETE /admin/faults``: the API answers normally again."""
        requests.delete(
            f"{self.url}/admin/faults", headers=self._headers(), timeout=10
        ).raise_for_status()

    @contextlib.contextmanager
    def fault(self, kind: str, count: int | None = None, **options: Any) -> Iterator[dict]:
        """Make the API misbehave inside a ``with`` block, and always recover after."""
        state = self.set_fault(kind, count, **options)
        try:
            yield state
        finally:
            self.clear_faults()
