"""The offline NFT API: ``create_app`` in-process through FastAPI's TestClient, and
one smoke test of ``python -m airflow_lab.nft_api`` as learners and the stack start it."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import requests
from fastapi.testclient import TestClient

from airflow_lab import nft_api
from airflow_lab.nft_data import generate_collection, load_collection_file, make_nft
from airflow_lab.settings import PROJECT_ROOT

SLUG = "doodles-official"
V2 = f"/api/v2/collection/{SLUG}/nfts"
V1 = "/api/v1/assets"
KINDS = ("500", "429", "slow", "malformed", "empty", "partial")


@pytest.fixture(scope="module")
def key() -> str:
    return secrets.token_hex(16)


@pytest.fixture(scope="module")
def app_client(key: str) -> Iterator[TestClient]:
    """One app for the module, as one server process serves every request.

    Entered as a context manager, the TestClient runs the app on one event loop in
    one thread, so a slow request really shares the loop with the others.
    """
    with TestClient(nft_api.create_app(generate_collection(), key)) as client:
        yield client


@pytest.fixture
def api(app_client: TestClient, key: str) -> Iterator[TestClient]:
    """Sends the key, like the DAG's HTTP connection; faults are cleared after every test."""
    app_client.headers["x-api-key"] = key
    yield app_client
    app_client.headers["x-api-key"] = key
    assert app_client.delete("/admin/faults").json() == {"faults": None}
    del app_client.headers["x-api-key"]


@pytest.fixture
def anonymous(app_client: TestClient) -> TestClient:
    """The same app without the key header."""
    app_client.headers.pop("x-api-key", None)
    return app_client


# ---- v2 ----


def test_v2_first_page(api: TestClient) -> None:
    resp = api.get(V2)
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"nfts", "next"}
    assert len(body["nfts"]) == 50 and isinstance(body["next"], str)
    assert body["nfts"][0] == make_nft(0)
    assert list(body["nfts"][0]) == [
        "identifier", "collection", "contract", "token_standard", "name", "description",
        "image_url", "display_image_url", "display_animation_url", "metadata_url",
        "opensea_url", "updated_at", "is_disabled", "is_nsfw",
    ]  # fmt: skip
    names = {nft["identifier"]: nft["name"] for nft in body["nfts"]}
    assert "\n" in names["11"] and "DROP TABLE" in names["13"]


def test_v2_pages_through_everything_once(api: TestClient) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 200, **({"next": cursor} if cursor else {})}
        body = api.get(V2, params=params).json()
        seen += [nft["identifier"] for nft in body["nfts"]]
        cursor = body["next"]
        if cursor is None:
            break
    assert len(seen) == 10_000
    assert sorted(seen, key=int) == [str(i) for i in range(10_000)] == seen


def test_v2_cursor_is_opaque_and_round_trips() -> None:
    cursor = nft_api.encode_cursor(200)
    assert "200" not in cursor, "clients must pass the token back, not compute offsets"
    assert nft_api.decode_cursor(cursor, 10_000) == 200


@pytest.mark.parametrize("limit", ["201", "1000", "0", "-1", "ten"])
def test_v2_limit_outside_1_to_200_is_rejected(api: TestClient, limit: str) -> None:
    resp = api.get(V2, params={"limit": limit})
    assert resp.status_code == 400
    assert "limit" in resp.json()["errors"][0]


def test_v2_limit_200_is_the_cap(api: TestClient) -> None:
    assert len(api.get(V2, params={"limit": 200}).json()["nfts"]) == 200
    assert "200" in api.get(V2, params={"limit": 201}).json()["errors"][0]


@pytest.mark.parametrize("cursor", ["nonsense", "bGFiOjk5OTk5", "!!!", "MTIz"])
def test_v2_bad_cursor(api: TestClient, cursor: str) -> None:
    resp = api.get(V2, params={"next": cursor})
    assert resp.status_code == 400 and "cursor" in resp.json()["errors"][0]


def test_v2_unknown_slug(api: TestClient) -> None:
    resp = api.get("/api/v2/collection/no-such-thing/nfts")
    assert resp.status_code == 404 and "no-such-thing" in resp.json()["errors"][0]


@pytest.mark.parametrize(
    ("headers", "error"),
    [
        ({}, "Missing x-api-key header"),
        ({"x-api-key": "wrong"}, "Invalid API key"),
        ({"x-api-key": ""}, "Invalid API key"),
    ],
)
def test_v2_needs_the_key(anonymous: TestClient, headers: dict[str, str], error: str) -> None:
    resp = anonymous.get(V2, headers=headers)
    assert resp.status_code == 401 and resp.json() == {"errors": [error]}


def test_create_app_refuses_an_empty_key() -> None:
    with pytest.raises(ValueError, match="api_key"):
        nft_api.create_app(generate_collection(), "")


# ---- v1, health, images ----


def test_v1_shape_without_a_key(anonymous: TestClient) -> None:
    resp = anonymous.get(V1, params={"collection": SLUG, "limit": 50})
    assert resp.status_code == 200
    assert resp.headers["X-Lab-Note"] == "OpenSea retired API v1; use /api/v2"
    assert resp.headers["Deprecation"] == "true"
    body = resp.json()
    assert list(body) == ["assets"] and len(body["assets"]) == 50
    assert set(body["assets"][0]) == {
        "token_id", "name", "image_url", "description", "permalink", "asset_contract", "collection",
    }  # fmt: skip
    assert body["assets"][0]["collection"] == {"slug": SLUG}
    assert body["assets"][0]["asset_contract"]["address"].startswith("0x")


def test_v1_default_limit_offset_and_unknown_slug(anonymous: TestClient) -> None:
    assert len(anonymous.get(V1).json()["assets"]) == nft_api.V1_DEFAULT_LIMIT
    page = anonymous.get(V1, params={"collection": SLUG, "offset": 30, "limit": 2}).json()
    assert [asset["token_id"] for asset in page["assets"]] == ["30", "31"]
    # v1 filtered by collection: an unknown slug gave an empty list, not a 404
    assert anonymous.get(V1, params={"collection": "no-such-thing"}).json() == {"assets": []}


def test_v1_limit_is_50(anonymous: TestClient) -> None:
    resp = anonymous.get(V1, params={"collection": SLUG, "limit": 51})
    assert resp.status_code == 400 and "50" in resp.json()["limit"][0]


def test_health_needs_no_key_and_ignores_faults(anonymous: TestClient) -> None:
    resp = anonymous.get("/health", params={"fault": "500"})
    assert resp.json() == {"status": "ok", "collection": SLUG, "count": 10_000, "faults": None}


def test_image(anonymous: TestClient) -> None:
    resp = anonymous.get("/images/42.svg")
    assert resp.headers["content-type"].startswith("image/svg+xml") and ">42<" in resp.text
    missing = anonymous.get("/images/no-such-nft.svg")
    assert missing.status_code == 404 and "no-such-nft" in missing.json()["errors"][0]


def test_no_docs_pages_that_need_a_cdn(anonymous: TestClient) -> None:
    assert anonymous.get("/docs").status_code == 404
    assert anonymous.get("/redoc").status_code == 404


# ---- faults ----


def _check_fault(kind: str, resp: httpx.Response, seconds: float, list_key: str) -> None:
    """``resp`` took ``seconds`` and answered through fault ``kind``."""
    if kind == "500":
        assert resp.status_code == 500
    elif kind == "429":
        assert resp.status_code == 429 and int(resp.headers["Retry-After"]) >= 0
    elif kind == "malformed":
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("application/json")
        with pytest.raises(json.JSONDecodeError):
            json.loads(resp.text)
    elif kind == "empty":
        assert resp.status_code == 200 and resp.json()[list_key] == []
    elif kind == "partial":
        id_key = "identifier" if list_key == "nfts" else "token_id"
        items = resp.json()[list_key]
        assert any(item.get("name", "missing") is None for item in items)
        assert any("name" not in item for item in items)
        assert any(item.get("image_url", "missing") is None for item in items)
        assert any("image_url" not in item for item in items)
        ids = [item[id_key] for item in items if id_key in item]
        assert len(ids) == len(items) - 1 and len(set(ids)) < len(ids)
    elif kind == "slow":
        assert resp.status_code == 200 and seconds >= 1
        assert len(resp.json()[list_key]) > 0
    else:
        pytest.fail(f"no check for fault kind {kind!r}")


def _timed_get(client: TestClient, path: str, **kwargs: object) -> tuple[httpx.Response, float]:
    start = time.monotonic()
    resp = client.get(path, **kwargs)
    return resp, time.monotonic() - start


@pytest.mark.parametrize("via", ["query", "header"])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("path", "list_key"), [(V2, "nfts"), (f"{V1}?limit=20", "assets")])
def test_fault_per_request(api: TestClient, kind: str, via: str, path: str, list_key: str) -> None:
    if via == "query":
        params = {"fault": kind, **({"delay": "1"} if kind == "slow" else {})}
        resp, seconds = _timed_get(api, path, params=params)
    else:
        headers = {"x-lab-fault": kind, **({"x-lab-fault-delay": "1"} if kind == "slow" else {})}
        resp, seconds = _timed_get(api, path, headers=headers)
    _check_fault(kind, resp, seconds, list_key)


def test_query_fault_wins_over_header(api: TestClient) -> None:
    resp = api.get(V2, params={"fault": "500"}, headers={"x-lab-fault": "empty"})
    assert resp.status_code == 500


def test_v1_faults_keep_v1_headers_and_error_shape(api: TestClient) -> None:
    resp = api.get(V1, params={"fault": "500"})
    assert resp.status_code == 500 and list(resp.json()) == ["detail"]
    assert resp.headers["Deprecation"] == "true"
    assert list(api.get(V2, params={"fault": "500"}).json()) == ["errors"]


def test_slow_really_waits_and_server_stays_responsive(api: TestClient) -> None:
    result: dict[str, float] = {}

    def slow() -> None:
        start = time.monotonic()
        api.get(V2, params={"fault": "slow", "delay": "2"}).raise_for_status()
        result["elapsed"] = time.monotonic() - start

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.3)
    assert api.get("/health").status_code == 200
    assert thread.is_alive(), "/health should answer while the slow request still waits"
    thread.join(timeout=30)
    assert result["elapsed"] >= 2


def test_429_retry_after_default_and_custom(api: TestClient) -> None:
    assert api.get(V2, params={"fault": "429"}).headers["Retry-After"] == "1"
    assert api.get(V2, params={"fault": "429", "retry_after": "7"}).headers["Retry-After"] == "7"
    headers = {"x-lab-fault": "429", "x-lab-fault-retry-after": "3"}
    throttled = api.get(V2, headers=headers)
    assert throttled.headers["Retry-After"] == "3" and "3 seconds" in throttled.json()["errors"][0]


@pytest.mark.parametrize("path", [V2, V1])
def test_unknown_fault_kind_names_the_valid_kinds(api: TestClient, path: str) -> None:
    resp = api.get(path, params={"fault": "teapot"})
    assert resp.status_code == 400
    assert all(kind in resp.text for kind in KINDS)


def test_make_fault_defaults() -> None:
    assert nft_api.make_fault("slow").delay == 3
    assert nft_api.make_fault("429").retry_after == 1
    with pytest.raises(nft_api.FaultError):
        nft_api.make_fault("slow", delay="-1")


@pytest.mark.parametrize("kind", KINDS)
def test_admin_fault_with_count_expires(api: TestClient, kind: str) -> None:
    spec = {"kind": kind, "count": 2, "delay": 1}
    resp = api.post("/admin/faults", json=spec)
    assert resp.status_code == 200 and resp.json()["faults"]["count"] == 2
    _check_fault(kind, *_timed_get(api, V2), "nfts")
    _check_fault(kind, *_timed_get(api, f"{V1}?limit=20"), "assets")
    assert api.get("/admin/faults").json() == {"faults": None}  # used up after exactly 2
    normal = api.get(V2)
    assert normal.status_code == 200 and normal.json()["nfts"][:2] == [make_nft(0), make_nft(1)]


def test_admin_fault_until_deleted(api: TestClient) -> None:
    api.post("/admin/faults", json={"kind": "500"}).raise_for_status()
    for _ in range(3):
        assert api.get(V2).status_code == 500
    assert api.get("/health").json()["faults"]["kind"] == "500"
    assert api.get("/admin/faults").json()["faults"]["count"] is None
    assert api.delete("/admin/faults").json() == {"faults": None}
    assert api.get(V2).status_code == 200


def test_admin_rejects_bad_requests(api: TestClient, key: str) -> None:
    resp = api.post("/admin/faults", json={"kind": "teapot"})
    assert resp.status_code == 400 and all(kind in resp.text for kind in KINDS)
    assert api.post("/admin/faults", json={"kind": "500", "count": 0}).status_code == 400
    assert api.post("/admin/faults", content="nope").status_code == 400
    del api.headers["x-api-key"]
    for method in ("GET", "POST", "DELETE"):
        assert api.request(method, "/admin/faults", json={"kind": "500"}).status_code == 401
    api.headers["x-api-key"] = key
    assert api.get("/admin/faults").json() == {"faults": None}


def test_two_apps_do_not_share_faults(api: TestClient) -> None:
    """Each create_app has its own fault board, so a test app never disturbs another."""
    api.post("/admin/faults", json={"kind": "500"}).raise_for_status()
    with TestClient(nft_api.create_app(generate_collection(), "other")) as other:
        assert other.get("/health").json()["faults"] is None
    assert api.get("/health").json()["faults"]["kind"] == "500"


# ---- collections and start-up ----


def _collection_file(tmp_path: Path, slug: str = "lab-test") -> tuple[Path, list[dict]]:
    nfts = [make_nft(i, slug) | {"name": f"Mine {i}"} for i in range(3)]
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(nfts), encoding="utf-8")
    return path, nfts


def test_collection_file_is_served(tmp_path: Path) -> None:
    path, nfts = _collection_file(tmp_path)
    app = nft_api.create_app(load_collection_file(path, collection="lab-test"), "k", "lab-test")
    with TestClient(app, headers={"x-api-key": "k"}) as client:
        assert client.get("/health").json()["count"] == 3
        body = client.get("/api/v2/collection/lab-test/nfts").json()
        assert body == {"nfts": nfts, "next": None}
        assert client.get(V2).status_code == 404, "the default slug is not served any more"


def test_invalid_collection_file_is_rejected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps([{"identifier": 1, "name": "x", "image_url": None}]), encoding="utf-8"
    )
    code = nft_api.main(
        ["--api-key", "k", "--port", str(_free_port()), "--collection-file", str(path)]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert str(path) in err and "index 0" in err and "'identifier'" in err
    assert "Traceback" not in err and err.count("\n") == 1


def test_missing_key_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AIRFLOW_LAB_NFT_API_KEY", raising=False)
    assert nft_api.main(["--port", str(_free_port())]) == 2
    err = capsys.readouterr().err
    assert "--api-key" in err and "AIRFLOW_LAB_NFT_API_KEY" in err and err.count("\n") == 1


def test_port_setting_is_the_default(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI takes its default port from settings, so the test stack can move it."""
    with _listening() as port:
        monkeypatch.setenv("AIRFLOW_LAB_NFT_API_PORT", str(port))
        monkeypatch.setenv("AIRFLOW_LAB_NFT_API_KEY", "k")
        assert nft_api.main([]) == 1
    err = capsys.readouterr().err
    assert f"port {port} " in err and "already in use" in err


# ---- the real process ----


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def _listening() -> Iterator[int]:
    """A port some other program is listening on."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        yield busy.getsockname()[1]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW_LAB_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    return env


def test_python_m_nft_api_serves_and_stops_cleanly(tmp_path: Path) -> None:
    """Start the server as learners and the stack do, use it, stop it; a second start on
    the same port is one clear line, not a traceback."""
    path, nfts = _collection_file(tmp_path)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "airflow_lab.nft_api", "--port", str(port), "--api-key", "k"]
    cmd += ["--collection-file", str(path), "--collection", "lab-test"]
    log = tmp_path / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=_env())
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, f"nft_api exited with {proc.returncode}: {log.read_text()}"
            with contextlib.suppress(requests.ConnectionError):
                health = requests.get(f"{url}/health", timeout=2)
                if health.ok:
                    break
            assert time.monotonic() < deadline, f"no answer on /health: {log.read_text()}"
            time.sleep(0.1)
        assert health.json() == {
            "status": "ok",
            "collection": "lab-test",
            "count": 3,
            "faults": None,
        }
        page = requests.get(
            f"{url}/api/v2/collection/lab-test/nfts", headers={"x-api-key": "k"}, timeout=10
        )
        assert page.status_code == 200 and page.json() == {"nfts": nfts, "next": None}

        second = subprocess.run(cmd[:-4], capture_output=True, text=True, timeout=60, env=_env())
        assert second.returncode == 1
        assert second.stderr.count("\n") == 1 and "Traceback" not in second.stderr
        assert f"port {port} " in second.stderr and "AIRFLOW_LAB_NFT_API_PORT" in second.stderr
    finally:
        proc.terminate()
        try:
            code = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise
    # uvicorn shuts down gracefully, then re-raises the SIGTERM it caught
    assert code in (0, -signal.SIGTERM), f"exit {code}: {log.read_text()}"
    assert "Traceback" not in log.read_text()
    assert log.read_text().startswith(f"nft-api: serving 3 NFTs of 'lab-test' on {url}")
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/health", timeout=2)
