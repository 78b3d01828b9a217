#!/usr/bin/env bash
# Starts a local PostgreSQL for the storage contract tests (Debian 12, run as root); idempotent.
# Prints SAASWATCH_TEST_PG_URL=... on stdout; everything else goes to stderr so callers can eval it.
set -euo pipefail

PORT=5432
ROLE=saaswatch
PASSWORD=saaswatch
DB=saaswatch_test
# Used only when no Debian cluster can be made (pg_createcluster missing).
FALLBACK_DIR=${SAASWATCH_PG_FALLBACK_DIR:-/tmp/saaswatch-pg}

log() { echo "start-postgres: $*" >&2; }

pg_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/postgres" ]; then echo "$d"; return 0; fi
  done
  return 1
}

if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! pg_bindir >/dev/null; then
  log "PostgreSQL not installed; installing from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2
  apt-get install -y postgresql >&2
fi

BINDIR=$(pg_bindir)
VERSION=$(basename "$(dirname "$BINDIR")")
SOCKET_DIR=/var/run/postgresql

# Runs psql as the postgres superuser over the local socket of the cluster we started.
psql_su() {
  runuser -u postgres -- "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCKET_DIR" -p "$PORT" -d postgres "$@"
}

wait_ready() {
  local i
  for i in $(seq 1 60); do
    if "$BINDIR/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then return 0; fi
    sleep 0.5
  done
  log "PostgreSQL did not become ready on 127.0.0.1:$PORT"
  return 1
}

if command -v pg_createcluster >/dev/null 2>&1; then
  # Reuse whichever cluster of this version owns the port; create `main` if none does.
  CLUSTER=$(pg_lsclusters -h 2>/dev/null | awk -v v="$VERSION" -v p="$PORT" '$1 == v && $3 == p { print $2; exit }')
  if [ -z "$CLUSTER" ]; then
    CLUSTER=main
    if pg_lsclusters -h 2>/dev/null | awk -v v="$VERSION" '$1 == v && $2 == "main" { f = 1 } END { exit !f }'; then
      log "cluster $VERSION/main exists on another port; moving it to $PORT"
      pg_conftool "$VERSION" main set port "$PORT" >&2
    else
      log "creating cluster $VERSION/main on port $PORT"
      pg_createcluster "$VERSION" main --port "$PORT" >&2
    fi
  fi
  # Debian's default listen_addresses is localhost; pin 127.0.0.1 so the printed URL always works.
  # A conf.d drop-in, because pg_conftool's quoting of values is unreliable across versions.
  CONF_D=/etc/postgresql/$VERSION/$CLUSTER/conf.d
  mkdir -p "$CONF_D"
  printf "listen_addresses = '127.0.0.1'\n" >"$CONF_D/saaswatch.conf"
  mkdir -p "$SOCKET_DIR" && chown postgres:postgres "$SOCKET_DIR"
  STATUS=$(pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { print $4 }')
  if [ "$STATUS" != "online" ]; then
    log "starting cluster $VERSION/$CLUSTER"
    pg_ctlcluster "$VERSION" "$CLUSTER" start >&2
  else
    log "cluster $VERSION/$CLUSTER already online"
  fi
else
  SOCKET_DIR=$FALLBACK_DIR/socket
  if [ ! -s "$FALLBACK_DIR/data/PG_VERSION" ]; then
    log "initdb into $FALLBACK_DIR/data"
    mkdir -p "$FALLBACK_DIR/data" "$SOCKET_DIR"
    chown -R postgres:postgres "$FALLBACK_DIR"
    runuser -u postgres -- "$BINDIR/initdb" -D "$FALLBACK_DIR/data" -U postgres \
      --auth-local=trust --auth-host=scram-sha-256 >&2
  fi
  if ! runuser -u postgres -- "$BINDIR/pg_ctl" -D "$FALLBACK_DIR/data" status >/dev/null 2>&1; then
    log "starting postgres from $FALLBACK_DIR/data"
    runuser -u postgres -- "$BINDIR/pg_ctl" -D "$FALLBACK_DIR/data" -l "$FALLBACK_DIR/postgres.log" -w \
      -o "-p $PORT -k $SOCKET_DIR -c listen_addresses=127.0.0.1" start >&2
  fi
fi

wait_ready

psql_su <<SQL >&2
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$ROLE') THEN
    CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD';
  ELSE
    ALTER ROLE $ROLE LOGIN PASSWORD '$PASSWORD';
  END IF;
END
\$\$;
SQL

if [ "$(psql_su -tA -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != "1" ]; then
  log "creating database $DB"
  psql_su -c "CREATE DATABASE $DB OWNER $ROLE" >&2
else
  psql_su -c "ALTER DATABASE $DB OWNER TO $ROLE" >&2
fi

# Prove the printed URL works (password auth over TCP) before handing it out.
PGPASSWORD=$PASSWORD "$BINDIR/psql" -X -q -h 127.0.0.1 -p "$PORT" -U "$ROLE" -d "$DB" -c 'SELECT 1' >/dev/null

echo "SAASWATCH_TEST_PG_URL=postgres://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DB"
