"""The offline NFT API, exercised as a real HTTP server the way the DAG and notebooks use it."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from airflow_lab import nft_api
from airflow_lab.nft_data import make_nft
from airflow_lab.settings import PROJECT_ROOT

SLUG = "doodles-official"
V2 = f"/api/v2/collection/{SLUG}/nfts"
V1 = "/api/v1/assets"
KINDS = ("500", "429", "slow", "malformed", "empty", "partial")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW_LAB_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    return env


def _run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "airflow_lab.nft_api", *args]
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, env=_env(), cwd=PROJECT_ROOT
    )


@contextlib.contextmanager
def _serve(log: Path, *args: str) -> Iterator[str]:
    """Start the server as learners do, wait until /health answers, stop it afterwards."""
    port = _free_port()
    cmd = [sys.executable, "-m", "airflow_lab.nft_api", "--port", str(port), *args]
    with log.open("w") as out:
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, env=_env(), cwd=PROJECT_ROOT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"nft_api exited with {proc.returncode}: {log.read_text()}")
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(f"{url}/health", timeout=2).ok:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"nft_api did not answer /health: {log.read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def key() -> str:
    return secrets.token_hex(16)


@pytest.fixture(scope="module")
def server(key: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with _serve(tmp_path_factory.mktemp("nft") / "server.log", "--api-key", key) as url:
        yield url


class Client(requests.Session):
    """A session that knows the server and sends the key, like the DAG's HTTP connection."""

    def __init__(self, base: str, key: str) -> None:
        super().__init__()
        self.base = base
        self.headers["x-api-key"] = key

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


@pytest.fixture
def api(server: str, key: str) -> Iterator[Client]:
    """Admin faults are cleared after every test, so tests stay independent."""
    with Client(server, key) as client:
        yield client
        client.delete(client.url("/admin/faults"), timeout=10).raise_for_status()


def get(api: Client, path: str, **kwargs: object) -> requests.Response:
    return api.get(api.url(path), timeout=30, **kwargs)


# ---- v2 ----


def test_v2_first_page(api: Client) -> None:
    resp = get(api, V2)
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


def test_v2_pages_through_everything_once(api: Client) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 200, **({"next": cursor} if cursor else {})}
        body = get(api, V2, params=params).json()
        seen += [nft["identifier"] for nft in body["nfts"]]
        cursor = body["next"]
        if cursor is None:
            break
    assert len(seen) == 10_000
    assert sorted(seen, key=int) == [str(i) for i in range(10_000)] == seen


@pytest.mark.parametrize("limit", ["201", "1000", "0", "-1", "ten"])
def test_v2_limit_outside_1_to_200_is_rejected(api: Client, limit: str) -> None:
    resp = get(api, V2, params={"limit": limit})
    assert resp.status_code == 400
    assert "limit" in resp.json()["errors"][0]


def test_v2_limit_200_is_the_cap(api: Client) -> None:
    assert len(get(api, V2, params={"limit": 200}).json()["nfts"]) == 200
    assert "200" in get(api, V2, params={"limit": 201}).json()["errors"][0]


@pytest.mark.parametrize("cursor", ["nonsense", "bGFiOjk5OTk5", "!!!", "MTIz"])
def test_v2_bad_cursor(api: Client, cursor: str) -> None:
    resp = get(api, V2, params={"next": cursor})
    assert resp.status_code == 400 and "cursor" in resp.json()["errors"][0]


def test_v2_unknown_slug(api: Client) -> None:
    resp = get(api, "/api/v2/collection/no-such-thing/nfts")
    assert resp.status_code == 404 and "no-such-thing" in resp.json()["errors"][0]


@pytest.mark.parametrize("headers", [{}, {"x-api-key": "wrong"}, {"x-api-key": ""}])
def test_v2_needs_the_key(server: str, headers: dict[str, str]) -> None:
    resp = requests.get(f"{server}{V2}", headers=headers, timeout=10)
    assert resp.status_code == 401 and resp.json()["errors"]


# ---- v1, health, images ----


def test_v1_shape_without_a_key(server: str) -> None:
    resp = requests.get(f"{server}{V1}", params={"collection": SLUG, "limit": 50}, timeout=10)
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


def test_v1_limit_is_50(server: str) -> None:
    resp = requests.get(f"{server}{V1}", params={"collection": SLUG, "limit": 51}, timeout=10)
    assert resp.status_code == 400 and "50" in resp.json()["limit"][0]


def test_health_needs_no_key_and_ignores_faults(server: str) -> None:
    resp = requests.get(f"{server}/health", params={"fault": "500"}, timeout=10)
    assert resp.json() == {"status": "ok", "collection": SLUG, "count": 10_000, "faults": None}


def test_image(server: str) -> None:
    resp = requests.get(f"{server}/images/42.svg", timeout=10)
    assert resp.headers["content-type"].startswith("image/svg+xml") and ">42<" in resp.text


# ---- faults ----


def _check_fault(kind: str, resp: requests.Response, list_key: str) -> None:
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
        assert resp.status_code == 200 and resp.elapsed.total_seconds() >= 1
        assert len(resp.json()[list_key]) > 0


@pytest.mark.parametrize("via", ["query", "header"])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("path", "list_key"), [(V2, "nfts"), (f"{V1}?limit=20", "assets")])
def test_fault_per_request(api: Client, kind: str, via: str, path: str, list_key: str) -> None:
    params = {"delay": "1"} if kind == "slow" else {}
    if via == "query":
        resp = get(api, path, params={**params, "fault": kind})
    else:
        resp = get(api, path, params=params, headers={"x-lab-fault": kind})
    _check_fault(kind, resp, list_key)


def test_slow_really_waits_and_server_stays_responsive(api: Client) -> None:
    result: dict[str, float] = {}

    def slow() -> None:
        start = time.monotonic()
        get(api, V2, params={"fault": "slow", "delay": "2"}).raise_for_status()
        result["elapsed"] = time.monotonic() - start

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.3)
    assert get(api, "/health").ok
    assert thread.is_alive(), "/health should answer while the slow request still waits"
    thread.join(timeout=30)
    assert result["elapsed"] >= 2


def test_429_retry_after_default_and_custom(api: Client) -> None:
    assert get(api, V2, params={"fault": "429"}).headers["Retry-After"] == "1"
    assert get(api, V2, params={"fault": "429", "retry_after": "7"}).headers["Retry-After"] == "7"


@pytest.mark.parametrize("path", [V2, V1])
def test_unknown_fault_kind_names_the_valid_kinds(api: Client, path: str) -> None:
    resp = get(api, path, params={"fault": "teapot"})
    assert resp.status_code == 400
    assert all(kind in resp.text for kind in KINDS)


def test_make_fault_defaults() -> None:
    assert nft_api.make_fault("slow").delay == 3
    assert nft_api.make_fault("429").retry_after == 1
    with pytest.raises(nft_api.FaultError):
        nft_api.make_fault("slow", delay="-1")


@pytest.mark.parametrize("kind", KINDS)
def test_admin_fault_with_count_expires(api: Client, kind: str) -> None:
    spec = {"kind": kind, "count": 2, "delay": 1}
    resp = api.post(api.url("/admin/faults"), json=spec, timeout=10)
    assert resp.status_code == 200 and resp.json()["faults"]["count"] == 2
    _check_fault(kind, get(api, V2), "nfts")
    _check_fault(kind, get(api, f"{V1}?limit=20"), "assets")
    assert get(api, "/admin/faults").json() == {"faults": None}  # used up after exactly 2
    normal = get(api, V2)
    assert normal.status_code == 200 and normal.json()["nfts"][:2] == [make_nft(0), make_nft(1)]


def test_admin_fault_until_deleted(api: Client) -> None:
    base = api.base
    api.post(f"{base}/admin/faults", json={"kind": "500"}, timeout=10).raise_for_status()
    for _ in range(3):
        assert get(api, V2).status_code == 500
    assert get(api, "/health").json()["faults"]["kind"] == "500"
    assert get(api, "/admin/faults").json()["faults"]["count"] is None
    assert api.delete(f"{base}/admin/faults", timeout=10).json() == {"faults": None}
    assert get(api, V2).status_code == 200


def test_admin_rejects_bad_requests(api: Client, server: str) -> None:
    resp = api.post(f"{server}/admin/faults", json={"kind": "teapot"}, timeout=10)
    assert resp.status_code == 400 and all(kind in resp.text for kind in KINDS)
    assert (
        api.post(f"{server}/admin/faults", json={"kind": "500", "count": 0}, timeout=10).status_code
        == 400
    )
    assert api.post(f"{server}/admin/faults", data="nope", timeout=10).status_code == 400
    for method in ("get", "post", "delete"):
        assert (
            requests.request(
                method, f"{server}/admin/faults", json={"kind": "500"}, timeout=10
            ).status_code
            == 401
        )
    assert get(api, "/admin/faults").json() == {"faults": None}


# ---- start-up ----


def test_collection_file_is_served(tmp_path: Path) -> None:
    nfts = [make_nft(i, "lab-test") | {"name": f"Mine {i}"} for i in range(3)]
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(nfts), encoding="utf-8")
    args = ("--api-key", "k", "--collection-file", str(path), "--collection", "lab-test")
    with _serve(tmp_path / "log", *args) as url:
        assert requests.get(f"{url}/health", timeout=10).json()["count"] == 3
        body = requests.get(
            f"{url}/api/v2/collection/lab-test/nfts", headers={"x-api-key": "k"}, timeout=10
        ).json()
        assert body == {"nfts": nfts, "next": None}


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


def test_busy_port_is_one_clear_line(server: str) -> None:
    port = server.rsplit(":", 1)[1]
    result = _run("--port", port, "--api-key", "k")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert port in result.stderr and "AIRFLOW_LAB_NFT_API_PORT" in result.stderr


def test_port_setting_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI takes its default port from settings, so the test stack can move it."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = _env() | {"AIRFLOW_LAB_NFT_API_PORT": str(port), "AIRFLOW_LAB_NFT_API_KEY": "k"}
        cmd = [sys.executable, "-m", "airflow_lab.nft_api"]
        result = subprocess.run(
            cmd, capture_output=True, text=True, timeout=60, env=env, cwd=PROJECT_ROOT
        )
    assert result.returncode == 1 and f"port {port} " in result.stderr
