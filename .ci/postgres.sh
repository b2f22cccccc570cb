# Sourced by .ci/run: start a throwaway PostgreSQL server (the distribution's package) for the
# tests of the shared journal, and export MUSICBIND_TEST_POSTGRES_URL. The server runs as a
# non-root user, on 127.0.0.1 and a free port, with a trust-only cluster in a temporary folder
# (fsync off: nothing in it outlives the run), and is stopped when the calling shell exits.
start_test_postgres() {
  local bindir
  bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get install -y -qq postgresql >/dev/null 2>&1 \
      || { $sudo apt-get update -qq && $sudo apt-get install -y -qq postgresql >/dev/null; }
    bindir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  fi
  local dir port
  dir="$(mktemp -d)"
  chmod 755 "$dir"
  local run=()
  if [ "$(id -u)" = 0 ]; then  # PostgreSQL refuses to run as root
    chown postgres "$dir"
    run=(runuser -u postgres --)
  fi
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  "${run[@]}" "$bindir/initdb" -D "$dir/data" -A trust -U musicbind --no-sync >"$dir/initdb.log"
  "${run[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
    >/dev/null
  "${run[@]}" "$bindir/createdb" -h 127.0.0.1 -p "$port" -U musicbind musicbind_test
  export MUSICBIND_TEST_POSTGRES_URL="postgresql://musicbind@127.0.0.1:$port/musicbind_test"
  TEST_POSTGRES_STOP=("${run[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop)
  trap 'stop_test_postgres' EXIT
  echo "PostgreSQL for the journal tests: $MUSICBIND_TEST_POSTGRES_URL"
}

stop_test_postgres() {
  "${TEST_POSTGRES_STOP[@]}" >/dev/null 2>&1 || true
}
