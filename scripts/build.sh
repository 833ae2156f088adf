# shellcheck shell=bash
# Builds the worker and the app into dist/ (sourced by ./tocsin after setup.sh).
# cargo → wasm-bindgen (--target web) → wasm-opt -Oz → a small entry module / index.html.

WASM_TARGET=wasm32-unknown-unknown
WASM_OPT_FLAGS=(-Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-reference-types --enable-multivalue --enable-mutable-globals)

wasm_opt() { # in-place
  local f=$1
  PATH="$NODE_BIN:$PATH" node_modules/.bin/wasm-opt "${WASM_OPT_FLAGS[@]}" "$f" -o "$f.opt" && mv "$f.opt" "$f"
}

# Runs wasm-bindgen and wasm-opt only when the cargo output changed since the last run.
bindgen_if_changed() { # wasm out_dir out_name
  local wasm=$1 out=$2 name=$3 stamp
  stamp=$(sha256sum "$wasm" | cut -c1-16)
  if [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$stamp" ] && [ -f "$out/${name}_bg.wasm" ]; then return 0; fi
  rm -rf "$out"; mkdir -p "$out"
  "$WASM_BINDGEN" --target web --no-typescript --out-dir "$out" --out-name "$name" "$wasm"
  wasm_opt "$out/${name}_bg.wasm"
  echo "$stamp" > "$out/.stamp"
}

build_worker() {
  log "building the worker"
  cargo build -q --release --target $WASM_TARGET -p tocsin-worker || die "worker build failed"
  bindgen_if_changed "$CARGO_TARGET_DIR/$WASM_TARGET/release/tocsin_worker.wasm" dist/worker index
  cat > dist/worker/entry.js <<'JS'
// Entry module for workerd: instantiate the Rust worker once per isolate, export its handlers.
import wasmModule from "./index_bg.wasm";
import { initSync, fetch, scheduled } from "./index.js";

initSync({ module: wasmModule });

export default { fetch, scheduled };
// Durable Object classes.
export { EscalationClock, IncidentLive, OrgLive } from "./index.js";
JS
}

build_app() {
  log "building the app"
  cargo build -q --release --target $WASM_TARGET -p tocsin-app || die "app build failed"
  bindgen_if_changed "$CARGO_TARGET_DIR/$WASM_TARGET/release/tocsin-app.wasm" dist/app-pkg tocsin_app
  rm -rf dist/app.new; mkdir -p dist/app.new/pkg
  cp dist/app-pkg/tocsin_app.js dist/app-pkg/tocsin_app_bg.wasm dist/app.new/pkg/
  cp -r public/. dist/app.new/
  cp style/*.css dist/app.new/
  # Cache busting: index.html names its files with a hash of their content, and the service
  # worker names its shell cache and the files it keeps offline with the same hash.
  local v; v=$({ cat dist/app.new/pkg/* dist/app.new/*.css app/index.html app/boot.js; find public -type f -print0 | sort -z | xargs -0 cat; } | sha256sum | cut -c1-12)
  sed "s/__VERSION__/$v/g" app/index.html > dist/app.new/index.html
  sed "s/__VERSION__/$v/g" app/boot.js > dist/app.new/boot.js
  sed "s/__VERSION__/$v/g" public/sw.js > dist/app.new/sw.js
  rm -rf dist/app; mv dist/app.new dist/app
}

build_all() {
  mkdir -p dist
  build_worker
  build_app
}

# Raw and gzipped sizes of what ships.
report_sizes() {
  local f
  for f in dist/worker/index_bg.wasm dist/app/pkg/tocsin_app_bg.wasm; do
    [ -f "$f" ] && printf '%-40s %8d bytes raw %8d bytes gzip\n' "$f" "$(stat -c%s "$f")" "$(gzip -9c "$f" | wc -c)"
  done
}
