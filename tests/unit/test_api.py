"""airflow_lab.api: the REST client's error handling, against a real HTTP server.

The server is ``http.server`` on 127.0.0.1 in a thread, answering each request from
a script (status, JSON body, delay): a stand-in for the api-server's answers, reached
over real sockets, so timeouts, refused connections and re-logins happen for real.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from requests.adapters import HTTPAdapter

from airflow_lab.api import AirflowApi, RequestTimeout, describe_import_error
from airflow_lab.errors import ApiError, LabError, StackDownError
from airflow_lab.settings import Settings


@dataclass
class Answer:
    status: int = 200
    body: object = None  # JSON-encoded unless it is a str
    delay: float = 0.0


@dataclass
class Seen:
    method: str
    path: str
    authorization: str | None
    body: object


@dataclass
class ScriptedServer:
    """Answers ``(method, path)`` with the next scripted :class:`Answer` (the last one repeats)."""

    url: str = ""
    script: dict[tuple[str, str], list[Answer]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)

    def on(self, method: str, path: str, *answers: Answer) -> None:
        self.script[(method, path)] = list(answers)

    def answer(self, method: str, path: str) -> Answer:
        answers = self.script.get((method, path))
        if not answers:
            return Answer(404, {"detail": f"no route {method} {path}"})
        return answers.pop(0) if len(answers) > 1 else answers[0]

    def count(self, method: str, path: str) -> int:
        return sum(1 for s in self.seen if (s.method, s.path) == (method, path))


def _handler(server: ScriptedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            path = urlsplit(self.path).path
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            server.seen.append(
                Seen(
                    self.command,
                    path,
                    self.headers.get("Authorization"),
                    json.loads(raw) if raw else None,
                )
            )
            answer = server.answer(self.command, path)
            time.sleep(answer.delay)
            body = answer.body if isinstance(answer.body, str) else json.dumps(answer.body)
            data = body.encode() if answer.body is not None else b""
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client gave up waiting (the timeout cases)

        do_GET = do_POST = do_PATCH = _serve

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    scripted = ScriptedServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(scripted))
    httpd.daemon_threads = True
    httpd.block_on_close = False
    scripted.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    scripted.on("POST", "/auth/token", Answer(201, {"access_token": "token-1"}))
    try:
        yield scripted
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def _api(url: str, tmp_path) -> AirflowApi:
    return AirflowApi(Settings(home=tmp_path / "lab"), base_url=url, password="pw")


class _ShortReads(HTTPAdapter):
    """Real HTTP with a short read timeout: the client's GETs wait up to 30 s, and
    ``get``/``wait_for_run`` take no timeout argument, so the tests shorten it here."""

    def send(self, request, **kwargs):  # type: ignore[no-untyped-def]
        kwargs["timeout"] = 0.3
        return super().send(request, **kwargs)


def test_logs_in_once_then_sends_the_bearer_token(server: ScriptedServer, tmp_path) -> None:
    server.on("GET", "/api/v2/dags/d1", Answer(200, {"dag_id": "d1", "is_stale": False}))
    api = _api(server.url, tmp_path)
    assert api.dag("d1") == {"dag_id": "d1", "is_stale": False}
    assert api.dag_exists("d1") is True
    login, first, second = server.seen
    assert (login.method, login.path) == ("POST", "/auth/token")
    assert login.body == {"username": "admin", "password": "pw"}
    assert first.authorization == second.authorization == "Bearer token-1"
    assert server.count("POST", "/auth/token") == 1


def test_a_refused_login_is_an_api_error(server: ScriptedServer, tmp_path) -> None:
    server.on("POST", "/auth/token", Answer(401, {"detail": "Invalid credentials"}))
    with pytest.raises(ApiError) as info:
        _api(server.url, tmp_path).dag("d1")
    assert (info.value.method, info.value.path, info.value.status) == ("POST", "/auth/token", 401)
    assert "Invalid credentials" in info.value.detail


def test_an_expired_token_logs_in_again_once(server: ScriptedServer, tmp_path) -> None:
    server.on(
        "POST",
        "/auth/token",
        Answer(201, {"access_token": "token-1"}),
        Answer(201, {"access_token": "token-2"}),
    )
    server.on("GET", "/api/v2/dags/d1", Answer(401, {"detail": "expired"}), Answer(200, {"a": 1}))
    assert _api(server.url, tmp_path).dag("d1") == {"a": 1}
    assert server.count("POST", "/auth/token") == 2
    assert server.seen[-1].authorization == "Bearer token-2"


def test_a_401_after_the_new_login_is_an_error_not_a_loop(server: ScriptedServer, tmp_path) -> None:
    """A token the server never accepts (say, another lab's JWT secret) fails after one
    re-login, instead of logging in again and again."""
    server.on("GET", "/api/v2/dags/d1", Answer(401, {"detail": "Signature verification failed"}))
    with pytest.raises(ApiError) as info:
        _api(server.url, tmp_path).dag("d1")
    assert info.value.status == 401
    assert "Signature verification failed" in info.value.detail
    assert server.count("POST", "/auth/token") == 2


def test_404_and_500_become_api_errors_with_status_and_detail(
    server: ScriptedServer, tmp_path
) -> None:
    server.on("GET", "/api/v2/dags/gone", Answer(404, {"detail": "DAG gone not found"}))
    server.on("GET", "/api/v2/dags/boom", Answer(500, "Internal Server Error (plain text)"))
    api = _api(server.url, tmp_path)
    with pytest.raises(ApiError) as info:
        api.dag("gone")
    assert (info.value.status, info.value.detail) == (404, "DAG gone not found")
    assert str(info.value) == "GET /api/v2/dags/gone answered 404: DAG gone not found"
    with pytest.raises(ApiError) as info:
        api.dag("boom")
    assert (info.value.status, info.value.detail) == (500, "Internal Server Error (plain text)")
    assert api.dag_exists("gone") is False
    with pytest.raises(ApiError):
        api.dag_exists("boom")  # only a 404 means "no such DAG"


def test_an_empty_body_is_none(server: ScriptedServer, tmp_path) -> None:
    server.on("PATCH", "/api/v2/dags/d1", Answer(204))
    assert _api(server.url, tmp_path).set_paused("d1", False) is None
    assert server.seen[-1].body == {"is_paused": False}


def test_nothing_listening_is_stack_down(server: ScriptedServer, tmp_path, free_port) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StackDownError, match=f"the Airflow API at {dead} is not running"):
        _api(dead, tmp_path).dag("d1")  # at the login
    api = _api(server.url, tmp_path)
    api.token()
    api.base_url = dead
    with pytest.raises(StackDownError, match="airflow-lab up"):
        api.dag("d1")  # with a token already


def test_a_slow_answer_is_a_request_timeout(server: ScriptedServer, tmp_path) -> None:
    server.on("GET", "/api/v2/slow", Answer(200, {}, delay=3))
    api = _api(server.url, tmp_path)
    t0 = time.monotonic()
    with pytest.raises(RequestTimeout, match="GET /api/v2/slow timed out"):
        api.request("GET", "/api/v2/slow", timeout=0.3)
    assert time.monotonic() - t0 < 2


def test_the_retry_after_a_new_login_keeps_the_callers_timeout(
    server: ScriptedServer, tmp_path
) -> None:
    server.on("GET", "/api/v2/slow", Answer(401, {"detail": "expired"}), Answer(200, {}, delay=4))
    api = _api(server.url, tmp_path)
    t0 = time.monotonic()
    with pytest.raises(RequestTimeout):
        api.request("GET", "/api/v2/slow", timeout=0.3)
    assert time.monotonic() - t0 < 2.5


def test_a_slow_login_is_a_request_timeout(server: ScriptedServer, tmp_path) -> None:
    server.on("POST", "/auth/token", Answer(201, {"access_token": "t"}, delay=3))
    api = _api(server.url, tmp_path)
    api.session.mount("http://", _ShortReads())
    with pytest.raises(RequestTimeout, match="/auth/token"):
        api.token()


BROKEN = {
    "filename": "/home/me/airflow-lab/dags/broken_dag.py",
    "stack_trace": (
        "Traceback (most recent call last):\n"
        '  File "/venv/lib/python3.11/site-packages/airflow/models/dagbag.py", line 380, in parse\n'
        "    loader.exec_module(new_module)\n"
        '  File "/home/me/airflow-lab/dags/broken_dag.py", line 7, in <module>\n'
        "    from airflow.operators.bash import BashOperator\n"
        "ModuleNotFoundError: No module named 'airflow.operators.bash'\n"
    ),
}


def test_describe_import_error_names_the_dag_files_line_and_the_error() -> None:
    assert describe_import_error(BROKEN) == (
        "/home/me/airflow-lab/dags/broken_dag.py:7: "
        "ModuleNotFoundError: No module named 'airflow.operators.bash'"
    )
    assert describe_import_error({"filename": "/x/d.py", "stack_trace": ""}) == (
        "/x/d.py: import failed"
    )


def test_trigger_of_an_unknown_dag_names_the_file_that_failed_to_import(
    server: ScriptedServer, tmp_path
) -> None:
    server.on("POST", "/api/v2/dags/broken/dagRuns", Answer(404, {"detail": "Dag not found"}))
    server.on("GET", "/api/v2/importErrors", Answer(200, {"import_errors": [BROKEN]}))
    with pytest.raises(LabError) as info:
        _api(server.url, tmp_path).trigger("broken", conf={"limit": 3})
    assert not isinstance(info.value, ApiError)
    assert "broken is not in Airflow" in str(info.value)
    assert "broken_dag.py:7: ModuleNotFoundError" in str(info.value)
    post = next(s for s in server.seen if s.method == "POST" and "dagRuns" in s.path)
    assert post.body == {"logical_date": None, "conf": {"limit": 3}}


def test_trigger_of_an_unknown_dag_without_import_errors_is_the_404(
    server: ScriptedServer, tmp_path
) -> None:
    server.on("POST", "/api/v2/dags/nope/dagRuns", Answer(404, {"detail": "Dag not found"}))
    server.on("GET", "/api/v2/importErrors", Answer(200, {"import_errors": []}))
    with pytest.raises(ApiError) as info:
        _api(server.url, tmp_path).trigger("nope", run_id="r1")
    assert info.value.status == 404
    assert server.seen[1].body["dag_run_id"] == "r1"


def test_trigger_on_other_errors_does_not_ask_for_import_errors(
    server: ScriptedServer, tmp_path
) -> None:
    server.on("POST", "/api/v2/dags/d1/dagRuns", Answer(409, {"detail": "run exists"}))
    with pytest.raises(ApiError, match="409"):
        _api(server.url, tmp_path).trigger("d1")
    assert server.count("GET", "/api/v2/importErrors") == 0


def test_wait_for_run_tolerates_a_timeout_and_returns_the_ended_run(
    server: ScriptedServer, tmp_path
) -> None:
    path = "/api/v2/dags/d1/dagRuns/r1"
    server.on(
        "GET",
        path,
        Answer(200, {"state": "running"}, delay=2),  # a busy api-server: this poll times out
        Answer(200, {"state": "running"}),
        Answer(200, {"state": "success", "dag_run_id": "r1"}),
    )
    api = _api(server.url, tmp_path)
    api.session.mount("http://", _ShortReads())
    run = api.wait_for_run("d1", "r1", timeout=20)
    assert run == {"state": "success", "dag_run_id": "r1"}
    assert server.count("GET", path) == 3


def test_wait_for_run_gives_up_naming_the_last_state(server: ScriptedServer, tmp_path) -> None:
    server.on("GET", "/api/v2/dags/d1/dagRuns/r1", Answer(200, {"state": "queued"}))
    with pytest.raises(LabError, match=r"the end of d1 run r1 not reached .*last seen: 'queued'"):
        _api(server.url, tmp_path).wait_for_run("d1", "r1", timeout=0.5)
