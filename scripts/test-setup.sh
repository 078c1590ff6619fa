#!/usr/bin/env bash
# What the suite needs from the machine, set up where it is missing (run by `make test`):
# PostgreSQL and Redis answering on 127.0.0.1, Chromium and a CJK font for the browser tests.
# Starts a server that is installed but down; installs the browser and the font with apt
# (as root). Says what to do, and fails, where it cannot.
set -euo pipefail

PG_HOST=127.0.0.1 PG_PORT=5432 REDIS_PORT=6379
CHROMIUM="${HOTLINE_CHROMIUM:-/usr/bin/chromium}"

log() { printf '== %s\n' "$*"; }
fail() { printf 'test set-up: %s\n' "$*" >&2; exit 1; }
as_root() { [ "$(id -u)" = 0 ] || fail "$1 (run this as root, or do it by hand: $2)"; }

apt_install() {  # apt_install WHAT PACKAGE...
  as_root "$1 is missing" "apt-get install $*"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${@:2}" >/dev/null
}

log "PostgreSQL"
if ! pg_isready -h "$PG_HOST" -p "$PG_PORT" -q 2>/dev/null; then
  command -v pg_ctlcluster >/dev/null || apt_install "PostgreSQL" postgresql
  version="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$version" ] || fail "no PostgreSQL cluster in /etc/postgresql"
  as_root "PostgreSQL does not answer on $PG_HOST:$PG_PORT" "pg_ctlcluster $version main start"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 1 30); do pg_isready -h "$PG_HOST" -p "$PG_PORT" -q && break; sleep 1; done
fi
pg_isready -h "$PG_HOST" -p "$PG_PORT" || fail "PostgreSQL does not answer on $PG_HOST:$PG_PORT"

log "Redis"
if ! redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  command -v redis-server >/dev/null || apt_install "Redis" redis-server
  as_root "Redis does not answer on 127.0.0.1:$REDIS_PORT" "redis-server --daemonize yes --bind 127.0.0.1"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/tests.log
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 1; done
fi
redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null || fail "Redis does not answer on 127.0.0.1:$REDIS_PORT"

log "Chromium and a CJK font (browser tests)"
if [ ! -x "$CHROMIUM" ] || ! fc-list 2>/dev/null | grep -qi "wqy"; then
  apt_install "Chromium or the WenQuanYi font" chromium fonts-wqy-microhei
fi
"$CHROMIUM" --version
