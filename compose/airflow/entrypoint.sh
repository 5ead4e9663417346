#!/usr/bin/env bash
# Entrypoint of the Airflow stand-in image: the parts of the official image's
# entrypoint contract that docker-compose.yaml relies on (docs/compose-images.md).
set -euo pipefail

# Any uid may run the image (AIRFLOW_UID), always with group 0: give an unknown uid
# a passwd entry, so that tools asking "who am I" (getpass, Celery) get an answer.
if ! whoami >/dev/null 2>&1 && [[ -w /etc/passwd ]]; then
    echo "default:x:$(id -u):0:default user:${AIRFLOW_USER_HOME_DIR}:/sbin/nologin" >>/etc/passwd
fi
export HOME="${AIRFLOW_USER_HOME_DIR}"

if [[ -n "${_PIP_ADDITIONAL_REQUIREMENTS:-}" ]]; then
    echo "entrypoint: _PIP_ADDITIONAL_REQUIREMENTS is not supported by this stand-in image (offline build); ignored." >&2
fi

# The metastore must answer before any Airflow command (but a CLI's own help).
wait_for_db() {
    local max=${CONNECTION_CHECK_MAX_COUNT:-20} sleep=${CONNECTION_CHECK_SLEEP_TIME:-3} n=0
    ((max > 0)) || return 0
    until airflow db check >/dev/null 2>&1; do
        n=$((n + 1))
        if ((n >= max)); then
            echo "entrypoint: the metastore did not answer after $max tries" >&2
            airflow db check
            return 1
        fi
        sleep "$sleep"
    done
}

command=${1:-}
case "$command" in
bash | python)
    shift
    exec "$command" "$@"
    ;;
airflow)
    shift
    ;;
"") set -- --help ;;
esac

# Anything else is an airflow subcommand: api-server, scheduler, celery worker, ...
if [[ "$1" != "--help" ]]; then
    wait_for_db
fi
if [[ "${_AIRFLOW_DB_MIGRATE:-}" == "true" ]]; then
    airflow db migrate
fi
exec airflow "$@"
