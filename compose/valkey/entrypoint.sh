#!/usr/bin/env bash
# Entrypoint of the valkey stand-in image (docs/compose-images.md): options alone
# go to valkey-server; the server runs as the valkey user; with no config file it
# listens on every address of the container without protected mode, as upstream.
set -euo pipefail
if [[ "${1:-}" == -* ]]; then
    set -- valkey-server "$@"
fi
if [[ "${1:-}" == "valkey-server" ]]; then
    if [[ "$(id -u)" == 0 ]]; then
        chown -R valkey:valkey /data 2>/dev/null || true
        exec setpriv --reuid=valkey --regid=valkey --init-groups "$0" "$@"
    fi
    shift
    if [[ "${1:-}" != *.conf ]]; then
        set -- --protected-mode no "$@"
    fi
    exec valkey-server "$@"
fi
exec "$@"
