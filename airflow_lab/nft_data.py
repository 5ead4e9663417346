"""The NFTs the offline OpenSea stand-in serves.

The course's pipeline was written against OpenSea's ``doodles-official``
collection. A classroom cannot rely on the internet, on an OpenSea API key, or
on OpenSea keeping its API stable, so the lab serves a *synthetic* collection of
the same size and shape instead. Everything here is derived from the token
number alone, so every learner, test and notebook output sees identical data.

The data is deliberately fake (an ``.invalid`` host, a ``0x...d00d`` contract,
"Synthetic Doodle" names) so nobody mistakes it for real market data. A few
tokens on the first page carry awkward names on purpose: the pipeline's lessons
on CSV quoting, encodings and SQL parameters need them to show up without
paging.

A teacher can serve their own data instead with ``--collection-file``; that file
is validated up front so a typo fails at start-up with a message that says where
it is, not halfway through a lesson.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

COLLECTION_SLUG = "doodles-official"
COLLECTION_SIZE = 10_000
#: A contract address nobody can confuse with a real one.
CONTRACT = "0x000000000000000000000000000000000000d00d"
#: ``.invalid`` is reserved (RFC 2606): these URLs can never reach a real host.
BASE_URL = "https://nft-lab.invalid"
_EPOCH = datetime(2024, 1, 1)

_KOREAN = (
    "합성 두들 #17 — 이 이름은 일부러 아주 길게 만들었습니다. "
    "CSV 파일, 데이터베이스 열, 표 출력이 긴 비ASCII 텍스트를 제대로 다루는지 확인하기 위한 것입니다. "
)

#: Awkward names on the default first page, each for one teaching point.
AWKWARD_NAMES: dict[str, str] = {
    "3": 'Synthetic Doodle #3, "the comma one"',  # CSV quoting
    "7": "Synthetic Doodle #7 🎨🌈✨",  # 4-byte UTF-8
    "11": "Synthetic Doodle #11\nwith a newline",  # multi-line CSV cells
    "13": "Robert'); DROP TABLE nfts;--",  # SQL parameters, not string formatting
    "17": (_KOREAN * 4)[:300],  # longer than VARCHAR(255), non-ASCII
}

#: The v2 fields in OpenSea's order, which is also the order we serve them in.
V2_FIELDS = (
    "identifier",
    "collection",
    "contract",
    "token_standard",
    "name",
    "description",
    "image_url",
    "display_image_url",
    "display_animation_url",
    "metadata_url",
    "opensea_url",
    "updated_at",
    "is_disabled",
    "is_nsfw",
)


class NFTDataError(ValueError):
    """A collection file the server cannot serve; the message says where and how to fix it."""


def make_nft(token: int, collection: str = COLLECTION_SLUG) -> dict[str, Any]:
    """One synthetic NFT in OpenSea's v2 shape, a pure function of ``token``."""
    ident = str(token)
    image = f"{BASE_URL}/{collection}/{ident}.svg"
    return {
        "identifier": ident,
        "collection": collection,
        "contract": CONTRACT,
        "token_standard": "erc721",
        "name": AWKWARD_NAMES.get(ident, f"Synthetic Doodle #{ident}"),
        "description": (
            f"Synthetic stand-in for Doodle #{ident}, generated offline by airflow-lab "
            "for teaching. Not a real NFT."
        ),
        "image_url": image,
        "display_image_url": f"{image}?w=500",
        "display_animation_url": None,
        "metadata_url": f"{BASE_URL}/{collection}/metadata/{ident}.json",
        "opensea_url": f"{BASE_URL}/assets/ethereum/{CONTRACT}/{ident}",
        # OpenSea's format: naive UTC with microseconds. 37 s apart keeps them distinct.
        "updated_at": (_EPOCH + timedelta(seconds=37 * token)).isoformat(timespec="microseconds"),
        "is_disabled": False,
        "is_nsfw": False,
    }


def generate_collection(
    count: int = COLLECTION_SIZE, collection: str = COLLECTION_SLUG
) -> list[dict[str, Any]]:
    """The whole synthetic collection, identical on every call and every machine."""
    return [make_nft(token, collection) for token in range(count)]


def to_v1_asset(nft: dict[str, Any]) -> dict[str, Any]:
    """Render a v2 NFT as a retired v1 "asset", for the study note that still calls v1."""
    return {
        "token_id": nft.get("identifier"),
        "name": nft.get("name"),
        "image_url": nft.get("image_url"),
        "description": nft.get("description"),
        "permalink": nft.get("opensea_url"),
        "asset_contract": {"address": nft.get("contract")},
        "collection": {"slug": nft.get("collection")},
    }


# ---- loading a teacher's own collection ----

_STR, _OPT_STR, _BOOL = (str,), (str, type(None)), (bool,)
#: field -> (allowed types, required?)
_SCHEMA: dict[str, tuple[tuple[type, ...], bool]] = {
    "identifier": (_STR, True),
    "collection": (_STR, False),
    "contract": (_STR, False),
    "token_standard": (_STR, False),
    "name": (_OPT_STR, True),
    "description": (_OPT_STR, False),
    "image_url": (_OPT_STR, True),
    "display_image_url": (_OPT_STR, False),
    "display_animation_url": (_OPT_STR, False),
    "metadata_url": (_OPT_STR, False),
    "opensea_url": (_OPT_STR, False),
    "updated_at": (_OPT_STR, False),
    "is_disabled": (_BOOL, False),
    "is_nsfw": (_BOOL, False),
}
_TYPE_WORDS = {_STR: "a string", _OPT_STR: "a string or null", _BOOL: "true or false"}


def _json_type(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number")


def _defaults(nft: dict[str, Any], collection: str) -> dict[str, Any]:
    return {
        "collection": collection,
        "contract": CONTRACT,
        "token_standard": "erc721",
        "description": None,
        "display_image_url": nft.get("image_url"),
        "display_animation_url": None,
        "metadata_url": None,
        "opensea_url": None,
        "updated_at": None,
        "is_disabled": False,
        "is_nsfw": False,
    }


def _check_item(item: object, where: str, collection: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise NFTDataError(
            f"{where}: expected an NFT object, got {_json_type(item)}. "
            'Each list entry must look like {"identifier": "0", "name": ..., "image_url": ...}.'
        )
    for field, (types, required) in _SCHEMA.items():
        if field not in item:
            if required:
                raise NFTDataError(
                    f"{where}, field '{field}': missing. Add \"{field}\" to this NFT "
                    "(use null for an unknown name or image_url)."
                )
            continue
        value = item[field]
        if not isinstance(value, types):
            hint = ' Quote it, e.g. "42": identifiers are strings.' if field == "identifier" else ""
            raise NFTDataError(
                f"{where}, field '{field}': must be {_TYPE_WORDS[types]}, "
                f"got {_json_type(value)} {json.dumps(value)[:60]}.{hint}"
            )
    if not item["identifier"].strip():
        raise NFTDataError(f"{where}, field 'identifier': empty. Give every NFT a token id.")
    merged = {**_defaults(item, collection), **item}
    ordered = {field: merged[field] for field in V2_FIELDS}
    return {**ordered, **{k: v for k, v in item.items() if k not in ordered}}


def load_collection_file(
    path: str | Path, collection: str = COLLECTION_SLUG
) -> list[dict[str, Any]]:
    """Read and validate a JSON list of v2 NFTs, failing early with a fixable message.

    Optional v2 fields that are absent get the synthetic defaults, so the server
    always answers in the full v2 shape; fields OpenSea may add later are kept.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NFTDataError(
            f"{path}: no such file. Check the path given to --collection-file."
        ) from None
    except UnicodeDecodeError:
        raise NFTDataError(f"{path}: not UTF-8 text. Save the file as UTF-8 JSON.") from None
    except OSError as exc:
        raise NFTDataError(f"{path}: cannot read it ({exc.strerror}).") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NFTDataError(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}). "
            "Fix the syntax there, e.g. with `python -m json.tool` on the file."
        ) from None
    if not isinstance(data, list):
        hint = (
            " If you saved a whole API response, keep only its 'nfts' list."
            if isinstance(data, dict)
            else ""
        )
        raise NFTDataError(f"{path}: expected a JSON list of NFTs, got {_json_type(data)}.{hint}")
    if not data:
        raise NFTDataError(f"{path}: the list is empty. Add at least one NFT.")
    nfts: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(data):
        nft = _check_item(item, f"{path}: NFT at index {index}", collection)
        ident = nft["identifier"]
        if ident in seen:
            raise NFTDataError(
                f"{path}: NFT at index {index}, field 'identifier': {ident!r} repeats the NFT "
                f"at index {seen[ident]}. Identifiers must be unique within a collection."
            )
        seen[ident] = index
        nfts.append(nft)
    return nfts
