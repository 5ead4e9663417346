#!/usr/bin/env bash
# A Docker engine of our own, for CI on a machine without one.
#
#   compose/dockerd.sh start DIR   start dockerd with all its state under DIR; prints
#                                  the DOCKER_HOST to export
#   compose/dockerd.sh stop DIR    stop it and remove its containers' state
#
# Its data root, exec root, pid file and socket all live under DIR, so it shares
# nothing with a Docker engine the machine may already have and leaves nothing
# behind. Needs root and Debian's docker.io package (dockerd, containerd, runc).
set -euo pipefail

cmd=${1:?usage: dockerd.sh start|stop DIR}
dir=${2:?usage: dockerd.sh start|stop DIR}
sock="$dir/docker.sock"

case "$cmd" in
start)
    mkdir -p "$dir/data" "$dir/exec"
    # The exec root holds a UNIX socket path: keep it short (108-byte limit).
    dockerd --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/dockerd.pid" \
        -H "unix://$sock" >"$dir/dockerd.log" 2>&1 &
    for _ in $(seq 1 100); do
        if DOCKER_HOST="unix://$sock" docker version >/dev/null 2>&1; then
            echo "unix://$sock"
            exit 0
        fi
        sleep 0.2
    done
    echo "dockerd did not answer on $sock within 20 s; its log: $dir/dockerd.log" >&2
    tail -20 "$dir/dockerd.log" >&2 || true
    exit 1
    ;;
stop)
    if [[ -f "$dir/dockerd.pid" ]]; then
        pid=$(cat "$dir/dockerd.pid")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
        kill -9 "$pid" 2>/dev/null || true
    fi
    # Mounts dockerd may have left (overlay layers, netns) before removing its state.
    grep -o " $dir/[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    rm -rf "$dir"
    ;;
*)
    echo "usage: dockerd.sh start|stop DIR" >&2
    exit 2
    ;;
esac
