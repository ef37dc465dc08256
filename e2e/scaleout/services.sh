#!/usr/bin/env bash
# Starts and stops the PostgreSQL and Redis the scale-out tests run against: Debian's
# packages, a throwaway cluster and data directory under one state directory, free ports on
# 127.0.0.1. The fault tests call it to stop and restart a service mid-test.
#
#   services.sh start            install if missing, start both, write $STATE/env
#   services.sh stop             stop both and delete the state directory
#   services.sh stop-postgres | start-postgres | stop-redis | start-redis | kill-redis
#
# STATE defaults to $AGENTOBS_SCALEOUT_DIR, else /tmp/agentobs-scaleout.
set -euo pipefail

STATE=${AGENTOBS_SCALEOUT_DIR:-/tmp/agentobs-scaleout}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo

log() { echo "services: $*" >&2; }

install_missing() {
  local pkgs=()
  [ -x "$PGBIN/initdb" ] || pkgs+=(postgresql)
  command -v redis-server >/dev/null || pkgs+=(redis-server)
  [ ${#pkgs[@]} -eq 0 ] && return 0
  log "installing ${pkgs[*]}"
  # Another apt run may hold the lock (CI images install several things at once): wait for it.
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${pkgs[@]}" >/dev/null
  # The package starts its own services; ours run on their own ports and directories.
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# PostgreSQL refuses to run as root: as root, the cluster belongs to the postgres user.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  # shellcheck disable=SC1091
  source "$STATE/env"
  as_pg "$PGBIN/pg_ctl" -D "$STATE/pg" -l "$STATE/pg.log" -w -t 60 \
    -o "-p $PGPORT -k $STATE/pgsock -c listen_addresses=127.0.0.1" start >/dev/null
}

stop_postgres() {
  [ -f "$STATE/pg/postmaster.pid" ] || return 0
  as_pg "$PGBIN/pg_ctl" -D "$STATE/pg" -m fast -w -t 60 stop >/dev/null || true
}

start_redis() {
  # shellcheck disable=SC1091
  source "$STATE/env"
  # appendfsync always: an XADD is on disk before Redis answers, so an acknowledged trace
  # survives a crash of Redis too. noeviction: a full Redis refuses writes, never drops entries.
  redis-server --port "$REDISPORT" --bind 127.0.0.1 --dir "$STATE/redis" --daemonize yes \
    --pidfile "$STATE/redis/redis.pid" --logfile "$STATE/redis.log" \
    --appendonly yes --appendfsync always --save "" --maxmemory-policy noeviction
  for _ in $(seq 1 100); do
    redis-cli -p "$REDISPORT" ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  log "redis did not start"; cat "$STATE/redis.log" >&2; return 1
}

stop_redis() {
  # shellcheck disable=SC1091
  source "$STATE/env"
  redis-cli -p "$REDISPORT" shutdown >/dev/null 2>&1 || true
  for _ in $(seq 1 100); do
    [ -f "$STATE/redis/redis.pid" ] && kill -0 "$(cat "$STATE/redis/redis.pid")" 2>/dev/null || return 0
    sleep 0.1
  done
}

kill_redis() {
  [ -f "$STATE/redis/redis.pid" ] && kill -9 "$(cat "$STATE/redis/redis.pid")" 2>/dev/null || true
  rm -f "$STATE/redis/redis.pid"
}

start_all() {
  install_missing
  if [ -f "$STATE/env" ]; then stop_all; fi
  mkdir -p "$STATE/redis" "$STATE/pgsock"
  local pgport redisport
  pgport=$(free_port)
  redisport=$(free_port)
  cat >"$STATE/env" <<ENV
PGPORT=$pgport
REDISPORT=$redisport
export AGENTOBS_TEST_POSTGRES_DSN=postgres://postgres@127.0.0.1:$pgport/postgres?sslmode=disable
export AGENTOBS_TEST_REDIS_URL=redis://127.0.0.1:$redisport/0
export AGENTOBS_SCALEOUT_SERVICES=$(cd "$(dirname "$0")" && pwd)/services.sh
export AGENTOBS_SCALEOUT_DIR=$STATE
ENV
  if [ "$(id -u)" = 0 ]; then chown -R postgres "$STATE/pgsock"; chmod 755 "$STATE"; fi
  mkdir -p "$STATE/pg"
  if [ "$(id -u)" = 0 ]; then chown postgres "$STATE/pg"; fi
  as_pg "$PGBIN/initdb" -D "$STATE/pg" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$STATE/initdb.log" 2>&1 ||
    { cat "$STATE/initdb.log" >&2; return 1; }
  # Sized for a 2-core test machine. fsync and synchronous_commit stay on: the tests prove
  # durability, so the database must be honest about it.
  cat >>"$STATE/pg/postgresql.conf" <<CONF
shared_buffers = 512MB
max_connections = 200
max_wal_size = 4GB
checkpoint_timeout = 15min
wal_compression = on
log_min_messages = warning
CONF
  if [ "$(id -u)" = 0 ]; then touch "$STATE/pg.log"; chown postgres "$STATE/pg.log"; fi
  start_postgres
  start_redis
  log "postgres on 127.0.0.1:$pgport, redis on 127.0.0.1:$redisport (state in $STATE)"
}

stop_all() {
  if [ -f "$STATE/env" ]; then
    stop_redis
    stop_postgres
  fi
  rm -rf "$STATE"
}

case "${1:-}" in
  start) start_all ;;
  stop) stop_all ;;
  start-postgres) start_postgres ;;
  stop-postgres) stop_postgres ;;
  start-redis) start_redis ;;
  stop-redis) stop_redis ;;
  kill-redis) kill_redis ;;
  *) echo "usage: $0 start|stop|start-postgres|stop-postgres|start-redis|stop-redis|kill-redis" >&2; exit 2 ;;
esac
