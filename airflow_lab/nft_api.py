"""An offline, OpenSea-compatible NFT API, so a classroom works without the internet.

The course's DAG calls OpenSea's v2 "list NFTs by collection" endpoint with an
``x-api-key`` header, and its original study note still calls the retired v1
``/api/v1/assets``. This server answers both with the synthetic collection from
:mod:`airflow_lab.nft_data`, and can misbehave on demand (errors, throttling,
slowness, broken or incomplete bodies) so lessons on retries, sensors and bad
input can be shown reliably instead of waiting for the real API to fail.

Run it with ``python -m airflow_lab.nft_api --api-key KEY`` (or set
``AIRFLOW_LAB_NFT_API_KEY``).

Faults (see :mod:`airflow_lab.nft_faults`) apply only to the two data endpoints.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import errno
import hmac
import json
import os
import socket
import sys
import zlib
from typing import Annotated, Any
from xml.sax.saxutils import escape

import uvicorn
from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response

from airflow_lab.nft_data import (
    COLLECTION_SLUG,
    NFTDataError,
    generate_collection,
    load_collection_file,
    to_v1_asset,
)
from airflow_lab.nft_faults import (
    Fault,
    FaultBoard,
    FaultError,
    bounded_number,
    fault_from_request,
    make_fault,
    spoil,
)
from airflow_lab.settings import NFT_API_KEY_ENV, env_var, load_settings

API_KEY_ENV = NFT_API_KEY_ENV
PORT_ENV = env_var("nft_api_port")
#: OpenSea documents ``limit`` as 1..200 (default 50) and rejects values outside
#: that range with a 400 rather than clamping; so do we, so a DAG that asks for
#: too much fails here as it would against the real API.
V2_DEFAULT_LIMIT, V2_MAX_LIMIT = 50, 200
#: v1 capped ``limit`` at 50 (and later began rejecting larger values) and ``offset`` at 10,000.
V1_DEFAULT_LIMIT, V1_MAX_LIMIT, V1_MAX_OFFSET = 20, 50, 10_000
V1_HEADERS = {"Deprecation": "true", "X-Lab-Note": "OpenSea retired API v1; use /api/v2"}


def encode_cursor(offset: int) -> str:
    """An opaque ``next`` token: clients must pass it back, not compute offsets."""
    return base64.urlsafe_b64encode(f"lab:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, number = raw.partition(":")
        offset = int(number)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError(f"invalid cursor {cursor[:40]!r}") from None
    if prefix != "lab" or not 0 < offset < size:
        raise ValueError(f"invalid cursor {cursor[:40]!r}")
    return offset


def _int_param(value: str | None, default: int, low: int, high: int, name: str) -> int:
    """Validate by hand so errors come back as OpenSea-like 400s, not FastAPI's 422s."""
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{name}: a valid integer is required, got {value[:20]!r}") from None
    if number < low:
        raise ValueError(f"{name}: ensure this value is greater than or equal to {low}")
    if number > high:
        raise ValueError(f"{name}: ensure this value is less than or equal to {high}")
    return number


async def _respond(fault: Fault | None, body: dict[str, Any], v1: bool = False) -> Response:
    """Answer normally or through ``fault``, in the chosen API version's own error shape."""
    headers = V1_HEADERS if v1 else {}
    list_key, id_key = ("assets", "token_id") if v1 else ("nfts", "identifier")

    def error(status: int, message: str, extra: dict[str, str] | None = None) -> JSONResponse:
        payload = {"detail": message} if v1 else {"errors": [message]}
        return JSONResponse(payload, status_code=status, headers={**headers, **(extra or {})})

    if fault is None:
        return JSONResponse(body, headers=headers)
    if fault.kind == "slow":
        await asyncio.sleep(fault.delay)  # not time.sleep: other requests keep being served
    elif fault.kind == "500":
        return error(500, "Internal server error (injected by the lab on purpose)")
    elif fault.kind == "429":
        wait = fault.retry_after
        message = f"Request was throttled. Expected available in {wait} second{'s' * (wait != 1)}."
        return error(429, message, {"Retry-After": str(wait)})
    elif fault.kind == "malformed":
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        cut = text[: max(1, len(text) // 2)]  # a truncated body, as a dropped connection leaves
        return Response(cut, media_type="application/json", headers=headers)
    elif fault.kind == "empty":
        body = {**body, list_key: []} | ({"next": None} if "next" in body else {})
    elif fault.kind == "partial":
        body = {**body, list_key: spoil(body[list_key], id_key)}
    return JSONResponse(body, headers=headers)


def _svg(identifier: str) -> str:
    hue = zlib.crc32(identifier.encode()) % 360
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200" viewBox="0 0 200 200">'
        f'<circle cx="100" cy="100" r="90" fill="hsl({hue},70%,60%)"/>'
        '<text x="100" y="115" font-size="40" text-anchor="middle" font-family="sans-serif">'
        f"{escape(identifier)}</text></svg>"
    )


def create_app(
    nfts: list[dict[str, Any]], api_key: str, collection: str = COLLECTION_SLUG
) -> FastAPI:
    """Build the server around fixed data and key, so tests and the CLI share one code path."""
    if not api_key:
        raise ValueError("create_app needs a non-empty api_key")
    # Swagger UI loads from a CDN, which an offline classroom cannot reach.
    app = FastAPI(title="airflow-lab offline NFT API", docs_url=None, redoc_url=None)
    board = FaultBoard()
    by_id = {str(nft.get("identifier")): nft for nft in nfts}

    def denied(request: Request) -> JSONResponse | None:
        given = request.headers.get("x-api-key")
        if given is None:
            return JSONResponse({"errors": ["Missing x-api-key header"]}, status_code=401)
        if not hmac.compare_digest(given.encode(), api_key.encode()):
            return JSONResponse({"errors": ["Invalid API key"]}, status_code=401)
        return None

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {
            "status": "ok",
            "collection": collection,
            "count": len(nfts),
            "faults": board.describe(),
        }

    @app.get("/api/v2/collection/{slug}/nfts")
    async def list_nfts(
        slug: str,
        request: Request,
        limit: str | None = None,
        cursor: Annotated[str | None, Query(alias="next")] = None,
    ) -> Response:
        if (refusal := denied(request)) is not None:
            return refusal
        try:
            fault = fault_from_request(request.query_params, request.headers)
            size = _int_param(limit, V2_DEFAULT_LIMIT, 1, V2_MAX_LIMIT, "limit")
            if slug != collection:
                return JSONResponse({"errors": [f"Collection {slug!r} not found"]}, status_code=404)
            offset = decode_cursor(cursor, len(nfts)) if cursor else 0
        except ValueError as exc:
            return JSONResponse({"errors": [str(exc)]}, status_code=400)
        end = offset + size
        body = {"nfts": nfts[offset:end], "next": encode_cursor(end) if end < len(nfts) else None}
        return await _respond(fault or board.take(), body)

    @app.get("/api/v1/assets")
    async def list_assets(
        request: Request,
        collection_slug: Annotated[str | None, Query(alias="collection")] = None,
        limit: str | None = None,
        offset: str | None = None,
    ) -> Response:
        """v1 filtered by ``collection``: an unknown slug gave an empty list, not a 404."""
        try:
            fault = fault_from_request(request.query_params, request.headers)
        except FaultError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=400, headers=V1_HEADERS)
        try:
            size = _int_param(limit, V1_DEFAULT_LIMIT, 1, V1_MAX_LIMIT, "limit")
            start = _int_param(offset, 0, 0, V1_MAX_OFFSET, "offset")
        except ValueError as exc:
            name, _, message = str(exc).partition(": ")
            return JSONResponse({name: [message]}, status_code=400, headers=V1_HEADERS)
        chosen = nfts if collection_slug in (None, collection) else []
        body = {"assets": [to_v1_asset(nft) for nft in chosen[start : start + size]]}
        return await _respond(fault or board.take(), body, v1=True)

    @app.get("/images/{identifier}.svg")
    async def image(identifier: str) -> Response:
        if identifier not in by_id:
            return JSONResponse({"errors": [f"NFT {identifier!r} not found"]}, status_code=404)
        return Response(_svg(identifier), media_type="image/svg+xml")

    @app.get("/admin/faults")
    async def get_faults(request: Request) -> Response:
        return denied(request) or JSONResponse({"faults": board.describe()})

    @app.delete("/admin/faults")
    async def clear_faults(request: Request) -> Response:
        if (refusal := denied(request)) is not None:
            return refusal
        board.clear()
        return JSONResponse({"faults": None})

    @app.post("/admin/faults")
    async def set_faults(request: Request) -> Response:
        if (refusal := denied(request)) is not None:
            return refusal
        try:
            payload = await request.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            example = '{"kind": "500", "count": 3, "delay": 2, "retry_after": 1}'
            return JSONResponse({"errors": [f"send a JSON object like {example}"]}, status_code=400)
        try:
            fault = make_fault(
                payload.get("kind"), payload.get("delay"), payload.get("retry_after")
            )
            count = payload.get("count")
            count = None if count is None else bounded_number(count, "count", int, 1, 1_000_000)
        except FaultError as exc:
            return JSONResponse({"errors": [str(exc)]}, status_code=400)
        board.set(fault, count)
        return JSONResponse({"faults": board.describe()})

    return app


def _bind(host: str, port: int) -> socket.socket:
    """Bind before handing over to uvicorn, so a busy port is one clear line, not a traceback."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def main(argv: list[str] | None = None) -> int:
    """Start the server; every expected failure is one line on stderr and an exit code."""
    try:
        settings = load_settings()
    except ValueError as exc:
        print(f"nft-api: bad AIRFLOW_LAB_* setting: {exc}", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(
        prog="python -m airflow_lab.nft_api", description=(__doc__ or "").partition("\n")[0]
    )
    parser.add_argument(
        "--host", default=settings.host, help="address to listen on (default: %(default)s)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=settings.nft_api_port,
        help=f"default: %(default)s, or {PORT_ENV}",
    )
    parser.add_argument(
        "--api-key",
        default=os.environ.get(API_KEY_ENV),
        help=f"the x-api-key clients must send (default: ${API_KEY_ENV})",
    )
    parser.add_argument(
        "--collection-file",
        metavar="PATH",
        help="serve this JSON list of v2 NFTs instead of the synthetic collection",
    )
    parser.add_argument(
        "--collection",
        metavar="SLUG",
        default=settings.collection,
        help="the collection slug to serve (default: %(default)s)",
    )
    args = parser.parse_args(argv)

    if not args.api_key:
        print(
            f"nft-api: refusing to start without an API key: pass --api-key KEY or set {API_KEY_ENV}.",
            file=sys.stderr,
        )
        return 2
    try:
        if args.collection_file:
            nfts = load_collection_file(args.collection_file, collection=args.collection)
        else:
            nfts = generate_collection(collection=args.collection)
    except NFTDataError as exc:
        print(f"nft-api: bad --collection-file: {exc}", file=sys.stderr)
        return 2
    try:
        sock = _bind(args.host, args.port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            why = "is already in use; stop the other server or"
        else:
            why = f"cannot be opened ({exc.strerror or exc});"
        print(
            f"nft-api: port {args.port} on {args.host} {why} choose another port with --port or {PORT_ENV}.",
            file=sys.stderr,
        )
        return 1
    port = sock.getsockname()[1]
    app = create_app(nfts, args.api_key, args.collection)
    config = uvicorn.Config(app, host=args.host, port=port, log_level="warning", access_log=False)
    print(
        f"nft-api: serving {len(nfts)} NFTs of {args.collection!r} on http://{args.host}:{port}",
        file=sys.stderr,
    )
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
