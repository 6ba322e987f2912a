# shellcheck shell=bash
# .ci/postgres.sh: provide a throwaway PostgreSQL server for the tests.
#
# SOURCE it (do not execute it):
#
#   source .ci/postgres.sh        # .ci/run does this before `go test`
#
# On success it exports
#
#   PATIENTSFHIR_TEST_POSTGRES_DSN=postgres://postgres@127.0.0.1:PORT/patientsfhir_test?sslmode=disable
#   PATIENTSFHIR_TEST_PG_BINDIR=/usr/lib/postgresql/NN/bin   (when the server binaries are installed)
#
# The second lets fault tests run a cluster of their own that they stop and start (PostgreSQL
# restarting under a running node) without disturbing the shared one the other tests use; as
# root they run its binaries as the `postgres` user, as this script does.
#
# and returns 0. On failure it prints a line starting with "postgres.sh: FAIL" to stderr and
# returns non-zero, so a caller under `set -e` stops.
#
# What it does:
#   - installs PostgreSQL from Debian's packages when no server binaries are found (root only);
#   - creates a cluster in a fresh temporary directory (data, log and unix socket inside it), owned
#     by the `postgres` user when run as root (the server refuses to run as root);
#   - starts it on a free port of 127.0.0.1 only, with durability switched off (test data only);
#   - creates the database patientsfhir_test;
#   - registers an EXIT trap (chained after any existing one) that stops the cluster and removes
#     the directory. `pf_postgres_stop` does the same on demand.
#
# Sourcing it twice in one shell reuses the running cluster. Clusters left behind by earlier runs
# whose shell has died (kill -9, a lost terminal) are stopped and removed first. When
# PATIENTSFHIR_TEST_POSTGRES_DSN is already set and answers, it is kept as it is (a developer's own
# server); set PATIENTSFHIR_PG_QUIET=1 to silence the progress lines.

_pf_pg_log() {
  if [ "${PATIENTSFHIR_PG_QUIET:-0}" != 1 ]; then printf 'postgres.sh: %s\n' "$*" >&2; fi
}

# _pf_pg_fail prints the failure; the caller returns non-zero (this returns 0 so that a caller's
# `set -e` does not cut the cleanup short).
_pf_pg_fail() {
  printf 'postgres.sh: FAIL: %s\n' "$*" >&2
}

# _pf_pg_bindir prints the directory of the newest installed server binaries.
_pf_pg_bindir() {
  local d found=""
  found=$(for d in /usr/lib/postgresql/*/bin; do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then printf '%s\n' "$d"; fi
  done | sort -V | tail -n 1)
  if [ -z "$found" ] && command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    found=$(dirname "$(command -v pg_ctl)")
  fi
  [ -n "$found" ] || return 1
  printf '%s\n' "$found"
}

# _pf_pg_as_owner runs a command as the cluster's owner (postgres when we are root).
_pf_pg_as_owner() {
  if [ "$(id -u)" = 0 ]; then
    if command -v runuser >/dev/null 2>&1; then
      (cd / && runuser -u postgres -- "$@")
    else
      (cd / && su -s /bin/sh postgres -c "$(printf '%q ' "$@")")
    fi
  else
    "$@"
  fi
}

# _pf_pg_port_free succeeds when nothing listens on 127.0.0.1:$1.
_pf_pg_port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# _pf_pg_stop_dir stops the cluster in directory $1 (if any) and removes the directory.
_pf_pg_stop_dir() {
  local dir=$1 bindir pid
  [ -n "$dir" ] && [ -d "$dir" ] || return 0
  bindir=$(cat "$dir/bindir" 2>/dev/null || true)
  if [ -f "$dir/data/postmaster.pid" ]; then
    if [ -n "$bindir" ] && [ -x "$bindir/pg_ctl" ]; then
      _pf_pg_as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 20 stop >/dev/null 2>&1 ||
        _pf_pg_as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
    fi
    # Last resort: the postmaster's own pid, as recorded by the server in its data directory.
    pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && [ -f "$dir/data/postmaster.pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -QUIT "$pid" 2>/dev/null || true
      sleep 1
    fi
  fi
  rm -rf -- "$dir"
}

# pf_postgres_stop stops the cluster this shell started and forgets its DSN.
pf_postgres_stop() {
  if [ -n "${_PF_PG_DIR:-}" ]; then
    _pf_pg_stop_dir "$_PF_PG_DIR"
    if [ "${PATIENTSFHIR_TEST_POSTGRES_DSN:-}" = "${_PF_PG_DSN:-}" ]; then
      unset PATIENTSFHIR_TEST_POSTGRES_DSN
    fi
    unset _PF_PG_DIR _PF_PG_DSN
  fi
  return 0
}

# _pf_pg_reap removes clusters left by earlier runs whose owning shell is gone.
_pf_pg_reap() {
  local dir owner
  for dir in /tmp/patientsfhir-pg.*; do
    [ -d "$dir" ] || continue
    [ "$dir" = "${_PF_PG_DIR:-}" ] && continue
    owner=$(cat "$dir/owner" 2>/dev/null || true)
    if [ -n "$owner" ] && kill -0 "$owner" 2>/dev/null; then continue; fi
    _pf_pg_log "removing a cluster left by an earlier run: $dir"
    _pf_pg_stop_dir "$dir"
  done
}

# _pf_pg_answers succeeds when the DSN $1 accepts a query.
_pf_pg_answers() {
  local psql=""
  if [ -n "${_PF_PG_BINDIR:-}" ] && [ -x "$_PF_PG_BINDIR/psql" ]; then
    psql=$_PF_PG_BINDIR/psql
  else
    psql=$(command -v psql 2>/dev/null || true)
  fi
  [ -n "$psql" ] || return 1
  PGCONNECT_TIMEOUT=5 "$psql" "$1" -XAtqc 'select 1' 2>/dev/null | grep -qx 1
}

# _pf_pg_add_trap chains pf_postgres_stop before any EXIT trap already set.
_pf_pg_add_trap() {
  local prev
  prev=$(trap -p EXIT)
  case $prev in *pf_postgres_stop*) return 0 ;; esac
  if [ -n "$prev" ]; then
    # trap -p prints: trap -- 'command' EXIT
    eval "set -- $prev"
    # shellcheck disable=SC2064
    trap "pf_postgres_stop; $3" EXIT
  else
    trap pf_postgres_stop EXIT
  fi
}

_pf_pg_start() {
  local bindir dir port try started=0

  # Sourced twice: keep the cluster this shell already runs.
  if [ -n "${_PF_PG_DIR:-}" ] && [ -n "${_PF_PG_DSN:-}" ] && _pf_pg_answers "$_PF_PG_DSN"; then
    export PATIENTSFHIR_TEST_POSTGRES_DSN=$_PF_PG_DSN
    _pf_pg_log "reusing the cluster in $_PF_PG_DIR"
    return 0
  fi
  if [ -n "${_PF_PG_DIR:-}" ]; then pf_postgres_stop; fi

  # A server given by the caller.
  if [ -n "${PATIENTSFHIR_TEST_POSTGRES_DSN:-}" ]; then
    if _pf_pg_answers "$PATIENTSFHIR_TEST_POSTGRES_DSN"; then
      _pf_pg_log "using the server already named by PATIENTSFHIR_TEST_POSTGRES_DSN"
      return 0
    fi
    _pf_pg_log "PATIENTSFHIR_TEST_POSTGRES_DSN is set but does not answer; starting a throwaway cluster"
    unset PATIENTSFHIR_TEST_POSTGRES_DSN
  fi

  if ! bindir=$(_pf_pg_bindir); then
    if [ "$(id -u)" != 0 ]; then
      _pf_pg_fail "no PostgreSQL server binaries found and not root; install them: apt-get install postgresql"
      return 1
    fi
    _pf_pg_log "installing PostgreSQL from Debian's packages"
    if ! DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null; then
      _pf_pg_fail "apt-get update failed"
      return 1
    fi
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; then
      _pf_pg_fail "apt-get install postgresql failed"
      return 1
    fi
    if ! bindir=$(_pf_pg_bindir); then
      _pf_pg_fail "postgresql installed but no initdb/pg_ctl under /usr/lib/postgresql/*/bin"
      return 1
    fi
  fi
  _PF_PG_BINDIR=$bindir
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    _pf_pg_fail "running as root but there is no 'postgres' user to own the cluster"
    return 1
  fi

  _pf_pg_reap

  if ! dir=$(mktemp -d /tmp/patientsfhir-pg.XXXXXX); then
    _pf_pg_fail "cannot create a temporary directory under /tmp"
    return 1
  fi
  # The owning shell: a later run removes this cluster once that shell is gone.
  printf '%s\n' "$$" >"$dir/owner"
  printf '%s\n' "$bindir" >"$dir/bindir"
  mkdir -p "$dir/sock"
  if [ "$(id -u)" = 0 ]; then chown -R postgres: "$dir"; fi
  _PF_PG_DIR=$dir
  _pf_pg_add_trap

  if ! _pf_pg_as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C \
    --no-sync >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2 || true
    _pf_pg_fail "initdb failed"
    pf_postgres_stop
    return 1
  fi

  for try in 1 2 3 4 5 6 7 8; do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    _pf_pg_port_free "$port" || continue
    if _pf_pg_as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/sock -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
      start >/dev/null 2>&1; then
      started=1
      break
    fi
    _pf_pg_log "start on port $port failed (try $try), trying another port"
  done
  if [ "$started" != 1 ]; then
    tail -n 20 "$dir/server.log" >&2 2>/dev/null || true
    _pf_pg_fail "the PostgreSQL server did not start"
    pf_postgres_stop
    return 1
  fi

  if ! "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -XAtq \
    -c 'CREATE DATABASE patientsfhir_test' >"$dir/createdb.log" 2>&1; then
    cat "$dir/createdb.log" >&2 || true
    _pf_pg_fail "cannot create the database patientsfhir_test"
    pf_postgres_stop
    return 1
  fi

  _PF_PG_DSN="postgres://postgres@127.0.0.1:$port/patientsfhir_test?sslmode=disable"
  if ! _pf_pg_answers "$_PF_PG_DSN"; then
    _pf_pg_fail "the server started but does not answer on $_PF_PG_DSN"
    pf_postgres_stop
    return 1
  fi
  export PATIENTSFHIR_TEST_POSTGRES_DSN=$_PF_PG_DSN
  _pf_pg_log "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $dir)"
  _pf_pg_log "PATIENTSFHIR_TEST_POSTGRES_DSN=$PATIENTSFHIR_TEST_POSTGRES_DSN"
  return 0
}

if _pf_pg_start; then
  if _pf_pg_bd=$(_pf_pg_bindir); then
    export PATIENTSFHIR_TEST_PG_BINDIR=$_pf_pg_bd
  fi
  unset _pf_pg_bd
else
  return 1
fi
