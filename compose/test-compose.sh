#!/usr/bin/env bash
# make test-compose: docker-compose.yaml brought up as a user would, then checked
# (tests/compose/). Needs a Docker engine and Compose v2. Uses the upstream images
# when Docker Hub answers, else builds the stand-ins (compose/build-images.sh).
# Its stack uses the lab home .lab-compose/ and the lab's ports + 1000, so it never
# meets a running `make lab` or `make test`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if ! docker compose version >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then
    echo "make test-compose needs Docker: a running engine (docker info) and Compose v2 (docker compose version); .ci/run sets both up when run as root" >&2
    exit 1
fi

start=$SECONDS
upstream=(apache/airflow:3.3.2 postgres:18 valkey/valkey:8.1)
pulled=1
for image in "${upstream[@]}"; do
    docker image inspect "$image" >/dev/null 2>&1 && continue
    if ! timeout 60 docker pull --quiet "$image" >/dev/null 2>&1; then
        pulled=0
        break
    fi
done
if ((pulled)); then
    echo "compose images: upstream (${upstream[*]})"
else
    echo "compose images: Docker Hub unreachable; building stand-ins (docs/compose-images.md)"
    compose/build-images.sh wheelhouse
    compose/build-images.sh build
    while IFS= read -r line; do export "${line?}"; done < <(compose/build-images.sh env)
fi
echo "compose timing: images $((SECONDS - start)) s"

export AIRFLOW_LAB_HOME=${AIRFLOW_LAB_COMPOSE_HOME:-$root/.lab-compose}
export AIRFLOW_LAB_PORT_OFFSET=${AIRFLOW_LAB_COMPOSE_PORT_OFFSET:-1000}
t=$SECONDS
rc=0
.venv/bin/python -m pytest tests/compose -p no:cacheprovider -s -q "$@" || rc=$?
echo "compose timing: stack and checks $((SECONDS - t)) s, total $((SECONDS - start)) s"
exit $rc
