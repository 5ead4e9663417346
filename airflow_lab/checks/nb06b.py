"""Checkers for notebook 06b · ``is_api_available``: waiting for the API with a sensor.

Exercise 2 sends a real request to the lab's NFT API with the learner's header
name; exercise 3 reads the installed HttpSensor's source for its parameters.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path
from typing import Any

import requests

from airflow_lab.checks import exercise, expect, passed

#: Section 4.1: the API failed this many requests before answering 200.
FAILED_REQUESTS = 2


@exercise("count the 'Poking:' lines of section 4.1 (failed pokes + the one that succeeded)")
def exercise_1(answer: Any, lab: Any = None) -> str:
    expect(
        isinstance(answer, int) and not isinstance(answer, bool),
        f"`answer` should be an integer, got {type(answer).__name__}",
    )
    pokes = FAILED_REQUESTS + 1
    expect(
        answer != FAILED_REQUESTS,
        f"{answer} counts only the failed pokes",
        "the sensor needs one more poke, the one that gets the 200",
    )
    expect(
        answer == pokes,
        f"{answer} pokes is not what the log shows",
        "each 500 costs one poke, then one more poke succeeds",
    )
    return passed(f"{pokes} pokes: {FAILED_REQUESTS} answered 500, the {pokes}rd got the 200")


@exercise("the header named in the connection's extra; the API answers 401 without it")
def exercise_2(answer: Any, lab: Any = None) -> str:
    expect(isinstance(answer, str), f"`answer` should be a string, got {type(answer).__name__}")
    expect(lab is not None, "this checker needs the lab: call it with lab=lab")
    header = answer.strip()
    key = lab.credentials.nft_api_key
    expect(header != key, "that is the key itself, not the header's name (and never print it!)")
    expect(
        header.lower() not in ("authorization", "bearer"),
        f"{header!r} is the usual header for tokens, but OpenSea v2 reads its key elsewhere",
        "look at the extra of the opensea_api connection",
    )
    try:
        response = requests.get(
            f"{lab.settings.nft_api_url}/api/v2/collection/{lab.settings.collection}/nfts",
            params={"limit": 1},
            headers={header: key},
            timeout=10,
        )
    except ValueError as e:  # not a valid header name
        response = None
        expect(False, f"{header!r} is not a valid HTTP header name ({e})")
    expect(
        response.status_code == 200,
        f"the API answered {response.status_code} to the key sent in a {header!r} header",
        "the v2 API reads the key from one specific header",
    )
    return passed(f"the API accepted the key in {header!r} (HTTP header names ignore case)")


def http_sensor_parameters() -> str:
    """The installed HttpSensor's source (read, not imported)."""
    root = Path(find_spec("airflow").submodule_search_locations[0])
    return (root / "providers" / "http" / "sensors" / "http.py").read_text()


@exercise("the HttpSensor argument that lists status codes meaning 'not yet' instead of 'fail'")
def exercise_3(answer: Any, lab: Any = None) -> str:
    expect(isinstance(answer, str), f"`answer` should be a string, got {type(answer).__name__}")
    name = answer.strip()
    source = http_sensor_parameters()
    expect(
        f"{name}:" in source.split("def poke", 1)[0],
        f"HttpSensor has no parameter {name!r}",
        "look at the two sensors in SENSOR_DAG: what does times_out have that fails_at_once lacks?",
    )
    expect(
        name == "response_error_codes_allowlist",
        f"{name!r} is an HttpSensor parameter, but not the one that made times_out wait",
        "times_out listed the codes 429 and 5xx",
    )
    return passed(
        "response_error_codes_allowlist: an HTTP error whose code is listed makes poke() return "
        "False (default ['404']); others raise and fail the task"
    )
