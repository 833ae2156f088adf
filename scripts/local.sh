# shellcheck shell=bash
# Running Tocsin locally (wrangler dev + local D1) and running the test suites.

wrangler() { PATH="$NODE_BIN:$PATH" node_modules/.bin/wrangler "$@"; }

# Applies migrations to the local D1 kept in $1.
migrate_local() {
  XDG_CONFIG_HOME="$1/.config" wrangler d1 migrations apply DB --local --persist-to "$1" >/dev/null \
    || die "applying migrations failed"
}

wait_healthy() { # url
  local i
  for i in $(seq 1 150); do
    curl -fsS "$1/healthz" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}

# Demo data through the public API (scripts/demo.mjs), so it takes the same paths as real use.
seed_demo() { # url
  local url=$1
  if [ "$(curl -fsS "$url/api/setup")" != '{"needs_setup":true}' ]; then
    log "existing data kept (log in with the account you created before)"
    return 0
  fi
  "$NODE_BIN/node" scripts/demo.mjs "$url" || die "loading the demo data failed (see above)"
}

run_local() {
  local port=${TOCSIN_PORT:-8787} host=${TOCSIN_HOST:-127.0.0.1}
  local state=${TOCSIN_STATE:-$PWD/.tocsin/state}
  mkdir -p "$state"
  state=$(cd "$state" && pwd)
  migrate_local "$state"
  # The worker secret that seals stored secrets (VAPID key, webhook URLs): made once per state.
  [ -s "$state/secret-key" ] || (umask 077; head -c 32 /dev/urandom | base64 > "$state/secret-key")
  log "starting wrangler dev on $host:$port (state in $state)"
  XDG_CONFIG_HOME="$state/.config" wrangler dev --port "$port" --ip "$host" --persist-to "$state" \
    --var "TOCSIN_SECRET_KEY:$(cat "$state/secret-key")" --show-interactive-dev-session=false --log-level warn &
  local pid=$!
  # Expanded now: the traps run after this function's locals are gone (set -u would complain).
  # Ctrl-C reaches the whole process group, so a child may be gone already: under `set -e` a
  # failing `kill` in the trap would end the run with status 1, hence `|| true`. Ctrl-C and TERM
  # end quietly with 0; any other exit keeps its status (a failed start still fails).
  local stop="kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true"
  trap "$stop" EXIT
  trap "$stop; exit 0" INT TERM
  local url="http://$host:$port"
  [ "$host" = 0.0.0.0 ] && url="http://127.0.0.1:$port"
  wait_healthy "$url" || die "wrangler dev did not become healthy"
  [ "${TOCSIN_DEMO:-1}" = 0 ] || seed_demo "$url"
  # Cron triggers do not fire by themselves under wrangler dev: tick the scheduled handler every
  # minute with the current time (escalation steps, maintenance transitions).
  ( while kill -0 "$pid" 2>/dev/null; do
      sleep "${TOCSIN_TICK_SECS:-60}"
      curl -fsS "$url/cdn-cgi/handler/scheduled?cron=*+*+*+*+*&time=$(date +%s%3N)" >/dev/null 2>&1 || true
    done ) &
  local ticker=$!
  stop="kill $ticker 2>/dev/null || true; $stop"
  trap "$stop" EXIT
  trap "$stop; exit 0" INT TERM
  printf '\n  Tocsin is running at \033[1m%s\033[0m  (Ctrl-C to stop)\n\n' "$url"
  wait $pid
}

# ./tocsin test                 every suite
# ./tocsin test SUITE [ARGS…]   one suite (domain, api, authz, ingest, …), ARGS for its runner,
#                               e.g. `./tocsin test api -- webhook_resolve --exact`
# TOCSIN_TEST_SHUFFLE=SEED runs each suite's tests in a seeded random order (`random` picks one).
run_tests() {
  local status=0 suite=${1:-}
  [ $# -gt 0 ] && shift
  if [ -z "$suite" ] || [ "$suite" = domain ]; then
    log "domain tests (native)"
    cargo test -q -p tocsin-domain "$@" || status=1
  fi
  if [ "$suite" != domain ]; then
    log "API and browser tests (wrangler dev + local D1 + headless Chromium)"
    local only=()
    [ -n "$suite" ] && only=(--test "$suite")
    TOCSIN_ROOT=$PWD TOCSIN_NODE_BIN=$NODE_BIN cargo test --no-fail-fast -p tocsin-tests "${only[@]}" "$@" || status=1
  fi
  return $status
}

run_bench() {
  report_sizes
  TOCSIN_ROOT=$PWD TOCSIN_NODE_BIN=$NODE_BIN cargo run -q --release -p tocsin-tests --bin bench
}

run_ingest_bench() {
  TOCSIN_ROOT=$PWD TOCSIN_NODE_BIN=$NODE_BIN cargo run -q --release -p tocsin-tests --bin ingest_bench -- "$@"
}

run_push_bench() {
  TOCSIN_ROOT=$PWD TOCSIN_NODE_BIN=$NODE_BIN cargo run -q --release -p tocsin-tests --bin push_bench -- "$@"
}

run_escalation_bench() {
  TOCSIN_ROOT=$PWD TOCSIN_NODE_BIN=$NODE_BIN cargo run -q --release -p tocsin-tests --bin escalation_bench -- "$@"
}

run_soak_bench() {
  TOCSIN_ROOT=$PWD TOCSIN_NODE_BIN=$NODE_BIN cargo run -q --release -p tocsin-tests --bin soak_bench -- "$@"
}

run_live_bench() {
  TOCSIN_ROOT=$PWD TOCSIN_NODE_BIN=$NODE_BIN cargo run -q --release -p tocsin-tests --bin live_bench -- "$@"
}

# A year of metrics over a seeded history (tests/src/bin/metrics_bench.rs).
run_metrics_bench() {
  TOCSIN_ROOT=$PWD TOCSIN_NODE_BIN=$NODE_BIN cargo run -q --release -p tocsin-tests --bin metrics_bench -- "$@"
}

# Latency as history grows: 1k → 100k → 1M alerts (tests/src/bin/scale_bench.rs).
run_scale_bench() {
  TOCSIN_ROOT=$PWD TOCSIN_NODE_BIN=$NODE_BIN cargo run -q --release -p tocsin-tests --bin scale_bench -- "$@"
}
