#!/usr/bin/env bash
# Proves the container setup (Dockerfile, .dockerignore, docker-compose.yml) on a machine with no
# Docker engine, as CI does. What it checks, for real:
#
#   1. Dockerfile   linted offline (dockerfile-utils), plus the image's own rules
#   2. compose      docker-compose.yml against the Compose schema (ajv, vendored schema) and
#                   docker-compose v1's own `config` (unpacked from Debian's package, no daemon);
#                   gating, health checks, network, volume, hardening, every app variable
#   3. build        a build context made from the repository's files filtered by .dockerignore,
#                   then every Dockerfile stage replayed in its own directory: the builder's RUN
#                   commands for real (npm ci, the bundle build), the runtime stage's COPYs into
#                   an otherwise EMPTY directory; its size is the runtime payload (limit 10 MB)
#   4. run          the runtime layout started the way its CMD says, with the environment
#                   docker-compose.yml gives the app (peers' service names -> 127.0.0.1, a fresh
#                   database on the local Postgres, the local Redis under a key prefix of its own),
#                   as an unprivileged user: /health/ready 200, the HEALTHCHECK command, exactly
#                   DB_POOL_SIZE (10) connections in pg_stat_activity, create -> redirect (twice),
#                   /docs, then SIGTERM -> exit 0 with the clicks flushed and no connection left
#
# Commands, paths and settings come from the Dockerfile and docker-compose.yml themselves (see
# scripts/container-proof.mjs), so the proof breaks when they drift.
#
# Needs: node + npm, git, psql and redis-cli, Postgres on 127.0.0.1:5432 (trust auth, user
# postgres) and Redis on 127.0.0.1:6379 (VERIFY_PG_HOST/PORT/USER, VERIFY_REDIS_HOST/PORT to
# change), apt-get for docker-compose v1 (optional: without it, the schema check stands alone).
# Bounded: the whole run is limited to VERIFY_TIMEOUT seconds (default 900). Cleans up after
# itself (stops the app it started, drops its database and Redis keys, removes its temp dir)
# unless VERIFY_KEEP=1.
set -euo pipefail

if [[ -z "${VERIFY_CONTAINER_BOUNDED:-}" ]]; then
  export VERIFY_CONTAINER_BOUNDED=1
  # timeout signals its whole process group: this script, the replayed builds and the app.
  exec timeout --kill-after=20s "${VERIFY_TIMEOUT:-900}s" bash "$0" "$@"
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PG_HOST="${VERIFY_PG_HOST:-127.0.0.1}"
PG_PORT="${VERIFY_PG_PORT:-5432}"
PG_USER="${VERIFY_PG_USER:-postgres}"
REDIS_HOST="${VERIFY_REDIS_HOST:-127.0.0.1}"
REDIS_PORT="${VERIFY_REDIS_PORT:-6379}"
CACHE_DIR="${VERIFY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/linkpool-verify}"
RUN_ID="$(date +%s)_$$"
DB_NAME="linkpool_verify_${RUN_ID}"
CACHE_PREFIX="linkpool-verify-${RUN_ID}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/linkpool-verify.XXXXXX")"
chmod 755 "$WORK" # the app runs as an unprivileged user and must reach its files
DB_CREATED=0
STARTED_AT=$(date +%s)

section() { printf '\n== %s\n' "$*"; }
die() { printf '  FAIL %s\n' "$*" >&2; exit 1; }
psql_admin() { psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -v ON_ERROR_STOP=1 -Atqc "$1"; }

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  set +e
  if [[ -f "$WORK/step.pgid" ]]; then # a replayed RUN command still going: its whole process group
    kill -KILL -- "-$(cat "$WORK/step.pgid")" 2>/dev/null
  fi
  if [[ -f "$WORK/app.pid" ]]; then
    local pid
    pid="$(cat "$WORK/app.pid")"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -KILL "$pid" 2>/dev/null
    fi
  fi
  if [[ "$DB_CREATED" == 1 ]]; then
    timeout 30 psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -qc "DROP DATABASE IF EXISTS \"$DB_NAME\" WITH (FORCE)" >/dev/null \
      || echo "  warning: could not drop database $DB_NAME" >&2
  fi
  timeout 30 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --scan --pattern "${CACHE_PREFIX}*" 2>/dev/null \
    | xargs -r timeout 30 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" del >/dev/null 2>&1
  if [[ "${VERIFY_KEEP:-0}" == 1 ]]; then
    echo "  kept $WORK (VERIFY_KEEP=1)"
  else
    rm -rf "$WORK"
  fi
  if [[ $status == 0 ]]; then
    printf '\nverify-container: PASSED in %s s\n' "$(( $(date +%s) - STARTED_AT ))"
  else
    [[ $status == 143 ]] && echo "  stopped by SIGTERM (VERIFY_TIMEOUT=${VERIFY_TIMEOUT:-900} s reached?)" >&2
    printf '\nverify-container: FAILED (exit %s) after %s s\n' "$status" "$(( $(date +%s) - STARTED_AT ))" >&2
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for tool in node npm git psql redis-cli; do
  command -v "$tool" >/dev/null || die "$tool is required"
done
if [[ ! -d node_modules/dockerfile-utils || ! -d node_modules/yaml || ! -d node_modules/ajv ]]; then
  section "installing the repository's dev dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi
psql_admin 'SELECT 1' >/dev/null || die "Postgres is not reachable at $PG_HOST:$PG_PORT as $PG_USER"
[[ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping)" == PONG ]] || die "Redis is not reachable at $REDIS_HOST:$REDIS_PORT"

# ------------------------------------------------------------------------------------------ 1
section "1/4 Dockerfile: lint (dockerfile-utils, offline) and the image's rules"
lint_output="$(node_modules/.bin/dockerfile-utils lint Dockerfile)" || { echo "$lint_output"; die "dockerfile-utils reports errors"; }
[[ -z "$lint_output" ]] || { echo "$lint_output"; die "dockerfile-utils reports warnings"; }
echo "  ok  dockerfile-utils $(node -p "require('dockerfile-utils/package.json').version"): no errors, no warnings"
node scripts/container-proof.mjs image-rules

# ------------------------------------------------------------------------------------------ 2
# docker-compose and the Python packages it needs, by name: its dependency closure in Debian.
compose_v1_packages() {
  apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances docker-compose 2>/dev/null \
    | grep -E '^(docker-compose|python3-[a-z0-9.+-]+)$' | sort -u
}

# docker-compose v1 (Debian's 1.29.2) and its Python dependencies, unpacked, never installed.
compose_v1() {
  local dir="$CACHE_DIR/docker-compose-v1"
  if [[ ! -f "$dir/.complete" ]]; then
    command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || return 1
    rm -rf "$dir" && mkdir -p "$dir/debs" "$dir/root"
    local packages
    packages="$(compose_v1_packages)"
    if [[ -z "$packages" && $(id -u) == 0 ]]; then # no package lists yet on this machine
      timeout 180 apt-get update -qq >/dev/null 2>&1 || return 1
      packages="$(compose_v1_packages)"
    fi
    [[ -n "$packages" ]] || return 1
    # shellcheck disable=SC2086 # one package name per word
    (cd "$dir/debs" && timeout 300 apt-get download -qq -o APT::Sandbox::User="$(id -un)" $packages >/dev/null 2>&1) || return 1
    for deb in "$dir"/debs/*.deb; do dpkg-deb -x "$deb" "$dir/root" || return 1; done
    touch "$dir/.complete"
  fi
  env -i PATH="$PATH" HOME="$HOME" PYTHONPATH="$dir/root/usr/lib/python3/dist-packages" \
    /usr/bin/python3 "$dir/root/usr/bin/docker-compose" "$@"
}

section "2/4 docker-compose.yml: schema, docker-compose v1, gating, health, network, volume, environment"
if compose_v1 version >"$WORK/compose-v1-version.txt" 2>&1; then
  echo "  $(head -1 "$WORK/compose-v1-version.txt") (Debian package, unpacked in $CACHE_DIR)"
  compose_v1 --project-directory "$ROOT" -f "$ROOT/docker-compose.yml" config >"$WORK/compose-v1.yml" 2>"$WORK/compose-v1.err" \
    || { cat "$WORK/compose-v1.err"; die "docker-compose v1 rejects docker-compose.yml"; }
  echo "  ok  docker-compose v1 config: valid"
  node scripts/container-proof.mjs compose --v1-config "$WORK/compose-v1.yml"
else
  echo "  warning: docker-compose v1 could not be unpacked from Debian's packages (apt unreachable?);"
  echo "           validating against the vendored Compose JSON schema only"
  node scripts/container-proof.mjs compose
fi

# ------------------------------------------------------------------------------------------ 3
section "3/4 build: .dockerignore'd context, builder stage replayed, runtime stage laid out"
node scripts/container-proof.mjs build --work "$WORK"

# ------------------------------------------------------------------------------------------ 4
section "4/4 run: the runtime stage per CMD, with docker-compose.yml's environment"
psql_admin "CREATE DATABASE \"$DB_NAME\"" >/dev/null
DB_CREATED=1
echo "  database $DB_NAME created on $PG_HOST:$PG_PORT; Redis prefix $CACHE_PREFIX"
node scripts/container-proof.mjs run --work "$WORK" --db "$DB_NAME" --cache-prefix "$CACHE_PREFIX"

section "figures"
# shellcheck disable=SC2016 # JavaScript, not shell
node -e '
  const s = require(process.argv[1]);
  const mb = (b) => (b / 1e6).toFixed(2) + " MB";
  console.log(`  bundle (main.mjs):          ${s.bundleBytes} bytes (${mb(s.bundleBytes)})`);
  console.log(`  runtime payload:            ${s.bytes} bytes (${mb(s.bytes)}) in ${s.files} files (limit 10 MB)`);
  console.log(`  boot to ready:              ${s.bootToReadyMs} ms`);
  console.log(`  pg_stat_activity:           ${s.pgConnections} connections`);
' "$WORK/summary.json"
