"""The synthetic collection must be stable, and a bad collection file must fail with a fixable message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airflow_lab.nft_data import (
    AWKWARD_NAMES,
    CONTRACT,
    V2_FIELDS,
    NFTDataError,
    generate_collection,
    load_collection_file,
    make_nft,
    to_v1_asset,
)


@pytest.fixture(scope="module")
def collection() -> list[dict]:
    return generate_collection()


def test_generating_twice_gives_identical_data(collection: list[dict]) -> None:
    assert generate_collection() == collection
    assert json.dumps(generate_collection()) == json.dumps(collection)


def test_ten_thousand_string_identifiers_in_order(collection: list[dict]) -> None:
    assert [nft["identifier"] for nft in collection] == [str(i) for i in range(10_000)]


def test_every_nft_has_the_v2_fields_with_synthetic_values(collection: list[dict]) -> None:
    for nft in collection:
        assert tuple(nft) == V2_FIELDS
        assert nft["collection"] == "doodles-official"
        assert nft["contract"] == CONTRACT
        assert nft["token_standard"] == "erc721"
        assert (
            nft["image_url"] == f"https://nft-lab.invalid/doodles-official/{nft['identifier']}.svg"
        )
        assert nft["display_animation_url"] is None
        assert nft["is_disabled"] is False and nft["is_nsfw"] is False
    timestamps = [nft["updated_at"] for nft in collection]
    assert timestamps[0] == "2024-01-01T00:00:00.000000"
    assert len(set(timestamps)) == len(timestamps)


def test_ordinary_names(collection: list[dict]) -> None:
    assert collection[0]["name"] == "Synthetic Doodle #0"
    assert collection[9999]["name"] == "Synthetic Doodle #9999"


def test_awkward_names_are_on_the_first_page(collection: list[dict]) -> None:
    names = {nft["identifier"]: nft["name"] for nft in collection[:20]}
    assert set(AWKWARD_NAMES) <= set(names)
    assert "," in names["3"] and '"' in names["3"]
    assert any(ord(ch) > 0xFFFF for ch in names["7"])  # an emoji: 4 bytes in UTF-8
    assert "\n" in names["11"]
    assert "'" in names["13"] and "DROP TABLE" in names["13"]
    assert len(names["17"]) > 255 and not names["17"].isascii()


def test_v1_asset_shape() -> None:
    asset = to_v1_asset(make_nft(42))
    assert asset == {
        "token_id": "42",
        "name": "Synthetic Doodle #42",
        "image_url": "https://nft-lab.invalid/doodles-official/42.svg",
        "description": make_nft(42)["description"],
        "permalink": make_nft(42)["opensea_url"],
        "asset_contract": {"address": CONTRACT},
        "collection": {"slug": "doodles-official"},
    }


def _write(tmp_path: Path, data: object, raw: str | None = None) -> Path:
    path = tmp_path / "nfts.json"
    path.write_text(raw if raw is not None else json.dumps(data), encoding="utf-8")
    return path


def test_valid_file_is_loaded_and_completed(tmp_path: Path) -> None:
    extra = {"identifier": "b", "name": None, "image_url": None, "traits": [1]}
    path = _write(tmp_path, [make_nft(1, "mine"), extra])
    nfts = load_collection_file(path, collection="mine")
    assert nfts[0] == make_nft(1, "mine")
    assert tuple(nfts[1])[: len(V2_FIELDS)] == V2_FIELDS
    assert nfts[1]["collection"] == "mine" and nfts[1]["traits"] == [1]


@pytest.mark.parametrize(
    ("data", "raw", "expected"),
    [
        (None, "[{", "not valid JSON (line 1"),
        ({"nfts": []}, None, "expected a JSON list of NFTs, got an object"),
        ([], None, "list is empty"),
        (["x"], None, "NFT at index 0: expected an NFT object"),
        ([{"name": "a", "image_url": None}], None, "index 0, field 'identifier': missing"),
        ([{"identifier": 7, "name": "a", "image_url": None}], None, "Quote it"),
        ([{"identifier": "1", "image_url": None}], None, "field 'name': missing"),
        ([{"identifier": "1", "name": 5, "image_url": None}], None, "string or null"),
        ([{"identifier": "1", "name": "a", "image_url": None, "is_nsfw": "no"}], None, "'is_nsfw'"),
        ([make_nft(1), make_nft(2), make_nft(1)], None, "index 2, field 'identifier': '1' repeats"),
    ],
)
def test_invalid_file_names_file_index_and_field(
    tmp_path: Path, data: object, raw: str | None, expected: str
) -> None:
    path = _write(tmp_path, data, raw)
    with pytest.raises(NFTDataError) as info:
        load_collection_file(path)
    assert str(path) in str(info.value)
    assert expected in str(info.value)
    assert isinstance(info.value, ValueError)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NFTDataError, match=r"no such file.*--collection-file"):
        load_collection_file(tmp_path / "absent.json")
