# shellcheck shell=bash
# `./tocsin reseal [BASE_URL]`: after a key rotation, re-seals every stored secret under the
# current TOCSIN_SECRET_KEY by calling POST /api/admin/reseal (one bounded batch per call) until
# nothing remains, printing the counts. Needs an admin API token in TOCSIN_ADMIN_TOKEN
# (POST /api/tokens {"name":"reseal","role":"admin"}, or the Me page). Sourced by ./tocsin.

# The number after "name": in a flat JSON object (the answer of /api/admin/reseal).
json_number() { # name json
  printf '%s' "$2" | grep -o "\"$1\":[0-9]*" | head -n1 | cut -d: -f2
}

run_reseal() { # [base url]
  local base=${1:-http://${TOCSIN_HOST:-127.0.0.1}:${TOCSIN_PORT:-8787}}
  base=${base%/}
  [ -n "${TOCSIN_ADMIN_TOKEN:-}" ] || die "set TOCSIN_ADMIN_TOKEN to an admin API token (POST /api/tokens with \"role\": \"admin\")"
  local total=0 answer status body resealed remaining failed key
  while :; do
    answer=$(curl -sS -X POST -H "Authorization: Bearer $TOCSIN_ADMIN_TOKEN" -H 'Content-Type: application/json' \
      -w '\n%{http_code}' "$base/api/admin/reseal") || die "could not reach $base"
    status=${answer##*$'\n'}
    body=${answer%$'\n'*}
    [ "$status" = 200 ] || die "POST $base/api/admin/reseal answered $status: $body"
    resealed=$(json_number resealed "$body")
    remaining=$(json_number remaining "$body")
    failed=$(json_number failed "$body")
    key=$(printf '%s' "$body" | grep -o '"key_id":"[0-9a-f]*"' | cut -d'"' -f4)
    [ -n "$resealed" ] && [ -n "$remaining" ] && [ -n "$failed" ] || die "unexpected answer: $body"
    total=$((total + resealed))
    log "re-sealed $resealed (remaining $remaining)"
    [ "$remaining" = 0 ] && break
    [ "$resealed" = 0 ] && die "$remaining value(s) cannot be opened with TOCSIN_SECRET_KEY or TOCSIN_SECRET_KEY_PREVIOUS (see the worker's log)"
  done
  echo "resealed=$total remaining=$remaining failed=$failed key_id=$key"
  [ "$failed" = 0 ] || die "$failed value(s) are sealed under a key this deployment does not hold: set it as TOCSIN_SECRET_KEY_PREVIOUS and run this again"
}
