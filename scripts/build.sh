# shellcheck shell=bash
# Builds the worker and the app into dist/ (sourced by ./tocsin after setup.sh).
# cargo → wasm-bindgen (--target web) → wasm-opt -Oz → a small entry module / index.html.

WASM_TARGET=wasm32-unknown-unknown
WASM_OPT_FLAGS=(-Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-reference-types --enable-multivalue --enable-mutable-globals)
# TOCSIN_WASM_NAMES=1 keeps the app's function names (for a CPU profile that names them; the
# first-load sizes are then larger than what ships and only reported).
APP_NAMES=(); if [ -n "${TOCSIN_WASM_NAMES:-}" ]; then APP_NAMES=(-g); export TOCSIN_SIZE_BUDGET=warn; fi

wasm_opt() { # in-place: file [extra passes...]
  local f=$1; shift
  # Its parser warns about name subsections it does not know (wasm-split's): noise, not errors.
  PATH="$NODE_BIN:$PATH" node_modules/.bin/wasm-opt "${WASM_OPT_FLAGS[@]}" "$@" "$f" -o "$f.opt" 2> >(grep -v "unknown name subsection" >&2) && mv "$f.opt" "$f"
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
  # Written only when it changes: a running `wrangler dev` reloads the worker on any write.
  cat > dist/worker/entry.js.new <<'JS'
// Entry module for workerd: instantiate the Rust worker once per isolate, export its handlers.
import wasmModule from "./index_bg.wasm";
import { initSync, fetch, scheduled } from "./index.js";

initSync({ module: wasmModule });

export default { fetch, scheduled };
// Durable Object classes.
export { EscalationClock, IncidentLive, OrgLive } from "./index.js";
JS
  if cmp -s dist/worker/entry.js.new dist/worker/entry.js; then rm dist/worker/entry.js.new; else mv dist/worker/entry.js.new dist/worker/entry.js; fi
}

# The app is cut per screen: cargo links it with relocations kept, wasm-split moves each lazy
# screen (`#[lazy_route]`, app/src/main.rs) and the code only screens share into chunks fetched
# on navigation, wasm-bindgen binds the main module, wasm-opt shrinks every piece.
build_app() {
  log "building the app"
  cargo rustc -q --release --target $WASM_TARGET -p tocsin-app -- -C link-args=--emit-relocs || die "app build failed"
  local wasm="$CARGO_TARGET_DIR/$WASM_TARGET/release/tocsin-app.wasm" out=dist/app-pkg stamp
  # The cargo output and the scripts that turn it into the served pieces: a change to either redoes them.
  stamp=$(cat "$wasm" scripts/build.sh scripts/split-bundles.mjs scripts/wasm-opt-all.mjs scripts/precompress.mjs | sha256sum | cut -c1-16)${TOCSIN_WASM_NAMES:+-names}
  if ! { [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$stamp" ]; }; then
    rm -rf "$out" dist/app-split; mkdir -p "$out" dist/app-split
    # wasm-split warns (e.g. when it has to keep every constant in the main module) through RUST_LOG.
    RUST_LOG=${RUST_LOG:-warn} "$WASM_SPLIT" "$wasm" dist/app-split --target web --out-name tocsin_app >/dev/null || die "wasm-split failed"
    # Its loader lists, in a comment above each of its hundreds of chunks, the screens using it
    # (a quarter of the shell's loader bytes): drop those one-line comments.
    sed -i '/^\/\* .* \*\/$/d' dist/app-split/__wasm_split.js
    "$WASM_BINDGEN" --target web --no-typescript --keep-lld-exports --out-dir "$out" --out-name tocsin_app dist/app-split/tocsin_app.wasm
    # Its JS glue is part of every first load: minified (−2 KB gzipped) by the esbuild wrangler
    # itself runs on (a dependency of the pinned wrangler); its exports keep their names. (Its
    # import object repeats one key per split chunk import, the same module each time: esbuild
    # warns, the meaning is unchanged.)
    PATH="$NODE_BIN:$PATH" node_modules/.bin/esbuild "$out/tocsin_app.js" --minify --format=esm --log-level=error \
      --allow-overwrite --outfile="$out/tocsin_app.js" || die "minifying the app's JS glue failed"
    local f
    for f in dist/app-split/*; do
      case "$f" in */tocsin_app.wasm) ;; *) cp "$f" "$out/" ;; esac
    done
    wasm_opt "$out/tocsin_app_bg.wasm" --strip-producers --strip-target-features "${APP_NAMES[@]}"
    # The chunks: hundreds of small modules, optimised in one node process (scripts/wasm-opt-all.mjs).
    find "$out" -name '*.wasm' ! -name tocsin_app_bg.wasm -print0 \
      | xargs -0 env PATH="$NODE_BIN:$PATH" node scripts/wasm-opt-all.mjs 2> >(grep -v "unknown name subsection" >&2) \
      || die "wasm-opt failed on the app's chunks"
    # One merged file per screen for a cold first load (scripts/split-bundles.mjs).
    PATH="$NODE_BIN:$PATH" node scripts/split-bundles.mjs "$out" || die "bundling the app's chunks failed"
    # Zstandard copies (level 19) of what a first load fetches, served by worker/src/http/app_files.rs
    # (the same names there).
    PATH="$NODE_BIN:$PATH" node scripts/precompress.mjs "$out/tocsin_app_bg.wasm" "$out/tocsin_app.js" "$out/__wasm_split.js" "$out"/bundle_*.wasm \
      || die "compressing the app's first-load pieces failed"
    echo "$stamp" > "$out/.stamp"
  fi
  rm -rf dist/app.new; mkdir -p dist/app.new/pkg
  cp dist/app-pkg/*.js dist/app-pkg/*.wasm dist/app-pkg/*.zst dist/app.new/pkg/
  cp -r public/. dist/app.new/
  cp style/*.css dist/app.new/
  # Cache busting: the app's modules live in /pkg/<hash of the build>/ (the split chunks import
  # each other by relative URL, so one directory per build keeps them one module graph), and the
  # service worker names its shell cache with the same hash and keeps every piece for offline use
  # (but the per-screen bundles: a page it controls loads chunks from its cache instead).
  local v; v=$({ cat dist/app.new/pkg/*.js dist/app.new/pkg/*.wasm dist/app.new/*.css app/index.html app/boot.js; find public -type f -print0 | sort -z | xargs -0 cat; } | sha256sum | cut -c1-12)
  mkdir -p "dist/app.new/pkg/$v"; find dist/app.new/pkg -maxdepth 1 -type f -exec mv {} "dist/app.new/pkg/$v/" \;
  local files; files=$(cd dist/app.new && find "pkg/$v" -type f ! -name 'bundle_*' ! -name '*.zst' | sort | sed 's|^\(.*\)$|"/\1"|' | paste -sd, -)
  sed "s/__VERSION__/$v/g" app/index.html > dist/app.new/index.html
  # boot.js preloads the first screen's bundle: screen name → file (bundle_split___<name>_screen_view_*).
  local bundles; bundles=$(cd "dist/app.new/pkg/$v" && for f in bundle_split___*_screen_view_*.wasm; do
    n=${f#bundle_split___}; printf '"%s":"%s"\n' "${n%_screen_view_*}" "$f"; done | paste -sd, -)
  sed -e "s/__VERSION__/$v/g" -e "s|\"__BUNDLES__\"|{$bundles}|" app/boot.js > dist/app.new/boot.js
  # Part of every first load too: its comments (most of its bytes) and spaces go (−1 KB gzipped).
  PATH="$NODE_BIN:$PATH" node_modules/.bin/esbuild dist/app.new/boot.js --minify --format=esm --log-level=error \
    --allow-overwrite --outfile=dist/app.new/boot.js || die "minifying boot.js failed"
  sed -e "s/__VERSION__/$v/g" -e "s|\"__PKG_FILES__\"|$files|" public/sw.js > dist/app.new/sw.js
  # Tabs still running the previous build fetch their screens' chunks from its /pkg/<hash>/: keep
  # the two builds before this one on the server (an old tab keeps working until it reloads).
  local old
  for old in $(ls -dt dist/app/pkg/*/ 2>/dev/null | head -2); do
    [ "$(basename "$old")" = "$v" ] || cp -r "$old" "dist/app.new/pkg/"
  done
  echo "$v" > dist/app.new/pkg/.current
  # The first-load budget (300 KB gzipped per screen) fails the build before it replaces the one
  # being served (TOCSIN_SIZE_BUDGET=warn only reports it).
  PATH="$NODE_BIN:$PATH" node scripts/first-load.mjs dist/app.new --quiet || die "a screen's first load is over the budget (table: TOCSIN_SIZE_BUDGET=warn ./tocsin build)"
  rm -rf dist/app; mv dist/app.new dist/app
}

build_all() {
  mkdir -p dist
  build_worker
  build_app
}

# Raw and gzipped sizes of what ships, and the app's first load per screen (scripts/first-load.mjs;
# a screen over 300 KB gzipped fails, unless TOCSIN_SIZE_BUDGET=warn).
report_sizes() {
  local f
  for f in dist/worker/index_bg.wasm "dist/app/pkg/$(cat dist/app/pkg/.current)/tocsin_app_bg.wasm"; do
    [ -f "$f" ] && printf '%-40s %8d bytes raw %8d bytes gzip\n' "$f" "$(stat -c%s "$f")" "$(gzip -9c "$f" | wc -c)"
  done
  PATH="$NODE_BIN:$PATH" node scripts/first-load.mjs dist/app
}
