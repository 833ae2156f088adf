// Bytes a phone downloads before each screen can draw, gzipped (./tocsin build and ./tocsin bench),
// and as a browser that takes zstd gets them ("as zstd": the build's Zstandard copies):
// index.html, boot.js, the stylesheet, the main module (JS + wasm), the split loader, and the
// screen's own chunk with every chunk it depends on (read from the loader wasm-split wrote), and
// what each part loaded after its screen (a tab, a sheet) adds to it.
// Usage: node scripts/first-load.mjs dist/app [budget_bytes] [--quiet]. Prints one row per screen
// and the per-file budget (with --quiet, only the screens over it); exits 1 when a screen passes
// the budget, unless TOCSIN_SIZE_BUDGET=warn.
import { existsSync, readFileSync, statSync } from "node:fs";
import { gzipSync } from "node:zlib";

const args = process.argv.slice(2).filter((a) => a !== "--quiet");
const quiet = process.argv.includes("--quiet");
const dir = args[0] || "dist/app";
const budget = Number(args[1] || 300 * 1024);
const log = quiet ? () => {} : console.log;
const version = readFileSync(`${dir}/pkg/.current`, "utf8").trim(); // older builds' folders stay for open tabs
const pkg = `${dir}/pkg/${version}`;
const gz = (f) => gzipSync(readFileSync(f), { level: 9 }).length;
// What a browser that takes zstd downloads: the build's Zstandard copy where there is one
// (worker/src/http/app_files.rs), else the gzipped file.
const served = (f) => existsSync(`${f}.zst`) ? statSync(`${f}.zst`).size : gz(f);

const loader = readFileSync(`${pkg}/__wasm_split.js`, "utf8");
const defs = new Map();
// The loader's definitions as scripts/split-bundles.mjs writes them: chunk n is `k(n, "deps")`
// (chunks a to b without deps `K(a, b)`), an entry `makeLoad(bundled, "file", d("deps"))` (a
// cold load fetches its bundle, bundle_<file>);
// deps are ranges of chunk numbers, "25-161,170".
const chunks = (list) => list.split(",").filter(Boolean).flatMap((p) => { const [a, b = a] = p.split("-").map(Number); return Array.from({ length: b - a + 1 }, (_, i) => `chunk ${a + i}`); });
for (const m of loader.matchAll(/^k\((\d+), "([^"]*)"\);$/gm)) defs.set(`chunk ${m[1]}`, { file: `chunk_${m[1]}.wasm`, deps: chunks(m[2]) });
for (const m of loader.matchAll(/^K\((\d+), (\d+)\);$/gm)) for (let n = Number(m[1]); n <= Number(m[2]); n++) defs.set(`chunk ${n}`, { file: `chunk_${n}.wasm`, deps: [] });
for (const m of loader.matchAll(/(?:const|export const) (__\w+) = (?:wrapAsyncCb\()?makeLoad\((true|false), "([^"]+)", d\("([^"]*)"\)\)/g))
  defs.set(m[1], { bundle: m[2] === "true" ? `bundle_${m[3]}` : undefined, file: m[3], deps: chunks(m[4]) });

const shell = { "index.html": gz(`${dir}/index.html`), "boot.js": gz(`${dir}/boot.js`), "tocsin.css": gz(`${dir}/tocsin.css`),
  "tocsin_app.js": gz(`${pkg}/tocsin_app.js`), "tocsin_app_bg.wasm": gz(`${pkg}/tocsin_app_bg.wasm`), "__wasm_split.js": gz(`${pkg}/__wasm_split.js`) };
const base = Object.values(shell).reduce((a, b) => a + b, 0);
const baseServed = base - shell["tocsin_app.js"] - shell["tocsin_app_bg.wasm"] - shell["__wasm_split.js"]
  + served(`${pkg}/tocsin_app.js`) + served(`${pkg}/tocsin_app_bg.wasm`) + served(`${pkg}/__wasm_split.js`);
const kb = (n) => (n / 1024).toFixed(1).padStart(7);
log(`first load, gzipped (budget ${kb(budget)} KB per screen); ${defs.size} chunks in ${pkg}`);
for (const [f, n] of Object.entries(shell)) log(`  ${f.padEnd(34)} ${kb(n)} KB`);
log(`  ${"shell total (login, setup)".padEnd(34)} ${kb(base)} KB`);
// Screens are what a first load opens; parts (a workspace tab, a bottom sheet, the postmortem's
// editors) are fetched after their screen drew, so each is reported as what it adds to the screen
// it is opened from (named first: `incident_details_tab` belongs to `incident_screen_view`),
// and the budget is the screens'.
const closureOf = (name) => {
  const seen = new Set(); const stack = [name];
  while (stack.length) { const n = stack.pop(); if (seen.has(n)) continue; seen.add(n); stack.push(...defs.get(n).deps); }
  return seen;
};
const label = (d) => d.file.replace(/^split___/, "").replace(/_\d+\.wasm$/, "");
const screens = []; const parts = [];
for (const [name, d] of defs) {
  if (!d.file.startsWith("split_")) continue;
  const seen = closureOf(name);
  let bytes = 0; for (const n of seen) bytes += gz(`${pkg}/${defs.get(n).file}`);
  // A cold first load fetches the entry's bundle (scripts/split-bundles.mjs) instead of its chunks.
  const files = d.bundle ? 1 : seen.size;
  if (d.bundle) bytes = gz(`${pkg}/${d.bundle}`);
  const zstd = d.bundle ? baseServed + served(`${pkg}/${d.bundle}`) : undefined;
  (/_screen_view$/.test(label(d)) ? screens : parts).push({ name, label: label(d), seen, files, bytes, first: base + bytes, zstd });
}
// No screen found means the loader's format changed under the regex above: that is a failure,
// not a pass.
if (!screens.length) { console.log(`no screens found in ${pkg}/__wasm_split.js (did wasm-split's output change?)`); process.exit(1); }
screens.sort((a, b) => b.first - a.first);
let over = 0;
log(`  ${"screen".padEnd(34)} ${"own".padStart(7)}    ${"first".padStart(7)}     files   as zstd`);
for (const s of screens) {
  const flag = s.first > budget ? "  over" : "";
  if (s.first > budget) over++;
  const zstd = s.zstd === undefined ? "" : `${kb(s.zstd)} KB`;
  (flag ? console.log : log)(`  ${s.label.padEnd(34)} ${kb(s.bytes)} KB ${kb(s.first)} KB ${String(s.files).padStart(5)} ${zstd}${flag}`);
}
log(`  ${"part (after its screen drew)".padEnd(34)} ${"adds".padStart(7)}    ${"total".padStart(7)}     files  screen`);
const partRows = parts.map((p) => {
  const part = p.label.replace(/^split_/, "");
  const screen = screens.find((s) => part.startsWith(s.label.replace(/_screen_view$/, "") + "_"));
  if (!screen) throw new Error(`part ${part}: name it after the screen it is opened from (e.g. incident_${part})`);
  const missing = [...p.seen].filter((c) => !screen.seen.has(c));
  const adds = missing.reduce((a, c) => a + gz(`${pkg}/${defs.get(c).file}`), 0);
  return { ...p, screen, adds, missing: missing.length };
}).sort((a, b) => b.screen.first + b.adds - a.screen.first - a.adds);
for (const p of partRows) {
  log(`  ${p.label.padEnd(34)} ${kb(p.adds)} KB ${kb(p.screen.first + p.adds)} KB ${String(p.missing).padStart(5)}  ${p.screen.label.replace(/_screen_view$/, "")}`);
}
(over ? console.log : log)(over ? `${over} of ${screens.length} screens over the first-load budget of ${kb(budget).trim()} KB gzipped` : `every screen within the budget (${screens.length} screens)`);
if (over && process.env.TOCSIN_SIZE_BUDGET !== "warn") process.exit(1);
