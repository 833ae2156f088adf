// Bytes a phone downloads before each screen can draw, gzipped (./tocsin build and ./tocsin bench):
// index.html, boot.js, the stylesheet, the main module (JS + wasm), the split loader, and the
// screen's own chunk with every chunk it depends on (read from the loader wasm-split wrote).
// Usage: node scripts/first-load.mjs dist/app [budget_bytes]. Prints one row per screen and
// the per-file budget; exits 1 when a screen passes the budget and TOCSIN_SIZE_BUDGET=enforce.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const dir = process.argv[2] || "dist/app";
const budget = Number(process.argv[3] || 300 * 1024);
const version = readFileSync(`${dir}/pkg/.current`, "utf8").trim(); // older builds' folders stay for open tabs
const pkg = `${dir}/pkg/${version}`;
const gz = (f) => gzipSync(readFileSync(f), { level: 9 }).length;

const loader = readFileSync(`${pkg}/__wasm_split.js`, "utf8");
const defs = new Map();
// Entries with a bundle (scripts/split-bundles.mjs) name its file first: a cold load fetches that.
const re = /(?:const|export const) (__\w+) = (?:wrapAsyncCb\()?makeLoad\((?:"([^"]+)", )?\(\) => \{\s*const src = fetch\(new URL\("\.\/([^"]+)", import\.meta\.url\)\);[\s\S]*?\}\s*, \[([^\]]*)\]\)/g;
for (const m of loader.matchAll(re)) defs.set(m[1], { bundle: m[2], file: m[3], deps: m[4].split(",").map((s) => s.trim()).filter(Boolean) });

const shell = { "index.html": gz(`${dir}/index.html`), "boot.js": gz(`${dir}/boot.js`), "tocsin.css": gz(`${dir}/tocsin.css`),
  "tocsin_app.js": gz(`${pkg}/tocsin_app.js`), "tocsin_app_bg.wasm": gz(`${pkg}/tocsin_app_bg.wasm`), "__wasm_split.js": gz(`${pkg}/__wasm_split.js`) };
const base = Object.values(shell).reduce((a, b) => a + b, 0);
const kb = (n) => (n / 1024).toFixed(1).padStart(7);
console.log(`first load, gzipped (budget ${kb(budget)} KB per screen); ${defs.size} chunks in ${pkg}`);
for (const [f, n] of Object.entries(shell)) console.log(`  ${f.padEnd(34)} ${kb(n)} KB`);
console.log(`  ${"shell total (login, setup)".padEnd(34)} ${kb(base)} KB`);
let over = 0;
const rows = [];
for (const [name, d] of defs) {
  if (!d.file.startsWith("split_")) continue;
  const seen = new Set(); const stack = [name];
  while (stack.length) { const n = stack.pop(); if (seen.has(n)) continue; seen.add(n); stack.push(...defs.get(n).deps); }
  let bytes = 0; for (const n of seen) bytes += gz(`${pkg}/${defs.get(n).file}`);
  const label = d.file.replace(/^split___/, "").replace(/_\d+\.wasm$/, "");
  // A cold first load fetches the entry's bundle (scripts/split-bundles.mjs) instead of its chunks.
  if (d.bundle) { bytes = gz(`${pkg}/${d.bundle}`); seen.clear(); seen.add(d.bundle); }
  rows.push([label, seen.size, bytes, base + bytes]);
}
rows.sort((a, b) => b[3] - a[3]);
console.log(`  ${"screen or part".padEnd(34)} ${"own".padStart(7)}    ${"first".padStart(7)}     files`);
for (const [label, files, own, total] of rows) {
  const flag = total > budget ? "  over" : "";
  if (total > budget) over++;
  console.log(`  ${label.padEnd(34)} ${kb(own)} KB ${kb(total)} KB ${String(files).padStart(5)}${flag}`);
}
console.log(over ? `${over} of ${rows.length} screens/parts over the budget` : `every screen within the budget`);
if (over && process.env.TOCSIN_SIZE_BUDGET === "enforce") process.exit(1);
