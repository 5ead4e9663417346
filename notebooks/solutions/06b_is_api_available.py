"""Solutions for notebook 06b · ``is_api_available``: waiting for the API with a sensor.

Each ``exercise_N(lab)`` returns an answer that ``airflow_lab.checks.nb06b.exercise_N``
accepts; ``WRONG`` holds a plausible mistake per exercise that the checker rejects.
"""

from __future__ import annotations


def exercise_1(lab):
    """Two pokes saw a 500, the third saw the 200."""
    failed_requests = 2
    return failed_requests + 1


def exercise_2(lab):
    """OpenSea v2 reads the key from this header; the connection's extra names it."""
    return "x-api-key"


def exercise_3(lab):
    """Listed codes make poke() return False instead of raising."""
    return "response_error_codes_allowlist"


WRONG = {
    # only the failed pokes
    "exercise_1": 2,
    # the usual header for bearer tokens
    "exercise_2": "Authorization",
    # a real HttpSensor parameter, but it only sets extra request options
    "exercise_3": "extra_options",
}
