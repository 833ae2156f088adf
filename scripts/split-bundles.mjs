// One file per screen for a cold first load (scripts/build.sh, after wasm-opt). wasm-split cuts the
// app into hundreds of small chunks; a screen opened first needs ~250 of them, and each fetched
// and gzipped on its own costs its own headers and loses the shared compression context (~25%
// of the bytes). For every lazy entry point (screen, tab, sheet) this merges its chunk closure
// into one module, bundle_<entry>.wasm (wasm-merge; the chunks only import the main module's
// memory, table and stack pointer, so they merge cleanly), and rewrites the loader so that:
//   - an entry none of whose chunks is loaded yet is instantiated from its bundle, and every
//     chunk in it counts as loaded;
//   - otherwise (a second screen sharing chunks with the first) only the missing chunks are
//     fetched one by one, as before; a failed bundle (e.g. offline: bundles are not precached
//     by the service worker, chunks are) falls back to that too;
//   - a page the service worker controls loads chunks only (they are all in its cache).
// A chunk is instantiated at most once either way (its data segments must not be re-applied).
// Usage: node split-bundles.mjs PKG_DIR (holds __wasm_split.js and the optimised chunks).
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const pkg = process.argv[2];
const bin = new URL("../node_modules/.bin/", import.meta.url).pathname;
const features = ["--enable-bulk-memory", "--enable-nontrapping-float-to-int", "--enable-sign-ext",
  "--enable-reference-types", "--enable-multivalue", "--enable-mutable-globals"];
const loaderPath = join(pkg, "__wasm_split.js");
let loader = readFileSync(loaderPath, "utf8");

const defs = new Map();
// A loader exactly as wasm-split writes it (its body is replaced by makeLoad below, so any other
// body is left unmatched, and then stops the build).
const re = /(?:const|export const) (__\w+) = (?:wrapAsyncCb\()?makeLoad\(\(\) => \{\s*const src = fetch\(new URL\("\.\/([^"]+)", import\.meta\.url\)\);\s*return async \(imports\) => \(WebAssembly\.instantiateStreaming\(src, imports\)\);\s*\}\s*, \[([^\]]*)\]\)/g;
for (const m of loader.matchAll(re)) defs.set(m[1], { file: m[2], deps: m[3].split(",").map((s) => s.trim()).filter(Boolean) });
if (!defs.size) throw new Error("no chunk loaders found in __wasm_split.js (wasm-split's output changed?)");
const closure = (name) => {
  const seen = new Set(); const stack = [name];
  while (stack.length) { const n = stack.pop(); if (seen.has(n)) continue; seen.add(n); stack.push(...defs.get(n).deps); }
  return [...seen];
};

// The chunks import memory, table and stack pointer from "__wasm_split". Merged as they are,
// each would keep its own memory import; a tiny module named "__wasm_split" that re-exports one
// set of them (imported from a same-length placeholder name, renamed back in the bytes) makes
// wasm-merge connect them all to a single import. The limits must match the chunks' imports.
const tmp = mkdtempSync(join(tmpdir(), "tocsin-bundles-"));
try {
  const anyChunk = execFileSync(join(bin, "wasm-dis"), [join(pkg, defs.values().next().value.file)], { encoding: "utf8", maxBuffer: 1 << 28 });
  const imp = (what) => {
    const m = anyChunk.match(new RegExp(`\\(import "__wasm_split" "${what}" \\((\\w+) \\$\\S+ (.*)\\)\\)$`, "m"));
    if (!m) throw new Error(`chunk import ${what} not found`);
    return `${m[1]} ${m[2]}`;
  };
  const placeholder = "__wasm_splix"; // same length as "__wasm_split"
  writeFileSync(join(tmp, "shared.wat"), `(module
 (import "${placeholder}" "memory" (${imp("memory")}))
 (import "${placeholder}" "__indirect_function_table" (${imp("__indirect_function_table")}))
 (import "${placeholder}" "__wasm_split_shared0" (${imp("__wasm_split_shared0")}))
 (export "memory" (memory 0))
 (export "__indirect_function_table" (table 0))
 (export "__wasm_split_shared0" (global 0)))
`);
  execFileSync(join(bin, "wasm-as"), [...features, join(tmp, "shared.wat"), "-o", join(tmp, "shared.wasm")]);

  const bundles = {};
  for (const [name, d] of defs) {
    if (!d.file.startsWith("split_")) continue;
    const members = closure(name);
    const out = `bundle_${d.file}`;
    const args = [join(tmp, "shared.wasm"), "__wasm_split"];
    for (const n of members) args.push(join(pkg, defs.get(n).file), n);
    execFileSync(join(bin, "wasm-merge"), [...args, ...features, "-o", join(pkg, out)], { stdio: ["ignore", "ignore", "inherit"] });
    const bytes = readFileSync(join(pkg, out));
    const from = Buffer.from(`\x0c${placeholder}`), to = Buffer.from("\x0c__wasm_split");
    let at = 0, renamed = 0;
    while ((at = bytes.indexOf(from, at)) !== -1) { to.copy(bytes, at); at += from.length; renamed++; }
    if (renamed === 0) throw new Error(`${out}: placeholder import not found`);
    writeFileSync(join(pkg, out), bytes);
    bundles[name] = out;
  }

  // The loader: each entry's makeLoad gets its bundle's file name (see compact below).
  // wasm-split writes one six-line definition per chunk (hundreds) and lists every entry's
  // dependencies one by one: 9.7 KB gzipped of every first load. The same definitions, as data:
  // `k(n, deps)` makes chunk_n.wasm's loader, deps are ranges of chunk numbers ("25-161,170"),
  // and each entry is makeLoad(its bundle, its file, its deps). Anything else in a definition
  // (a shape this does not know) stops the build rather than being dropped.
  const compact = (text) => {
    let found = 0;
    let out = text.replace(re, (all, name, file, deps) => {
      found++;
      const nums = deps.split(",").map((d) => d.trim()).filter(Boolean).map((d) => {
        const m = /^__chunk_(\d+)$/.exec(d);
        if (!m) throw new Error(`__wasm_split.js: ${name} depends on ${d}, not a chunk`);
        // The lists are read lazily in the browser, so a chunk missing from them is caught here.
        if (!defs.has(d)) throw new Error(`__wasm_split.js: ${name} depends on ${d}, which has no loader`);
        return Number(m[1]);
      });
      const ranges = [];
      for (const n of nums) {
        const last = ranges.at(-1);
        if (last && n === last[1] + 1) last[1] = n; else ranges.push([n, n]);
      }
      const list = JSON.stringify(ranges.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(","));
      const chunk = /^__chunk_(\d+)$/.exec(name);
      if (chunk && file === `chunk_${chunk[1]}.wasm` && !bundles[name] && !/^export /.test(all)) return `k(${chunk[1]}, ${list})`;
      const head = all.slice(0, all.indexOf(" = ") + 3);
      const wrapped = /= wrapAsyncCb\(makeLoad/.test(all);
      if (bundles[name] && bundles[name] !== `bundle_${file}`) throw new Error(`__wasm_split.js: ${name}'s bundle is not bundle_${file}`);
      const call = `makeLoad(${Boolean(bundles[name])}, ${JSON.stringify(file)}, d(${list}))`;
      // (The match ends inside wrapAsyncCb( … ): its closing parenthesis stays in the text.)
      return head + (wrapped ? `wrapAsyncCb(${call}` : call);
    });
    if (found !== defs.size) throw new Error(`__wasm_split.js: compacted ${found} of ${defs.size} loaders`);
    // Runs of consecutive chunks without dependencies, one call each.
    out = out.replace(/^k\((\d+), ""\);(?:\nk\(\d+, ""\);)*$/gm, (run, first) => {
      const nums = [...run.matchAll(/k\((\d+)/g)].map((m) => Number(m[1]));
      const out = []; let a = nums[0], b = nums[0];
      for (const n of nums.slice(1)) { if (n === b + 1) b = n; else { out.push(`K(${a}, ${b});`); a = b = n; } }
      out.push(`K(${a}, ${b});`);
      return out.join("\n");
    });
    const helpers = `// Chunk loaders by number, and dependency lists as ranges of them (scripts/split-bundles.mjs).
const C = [];
// A list is read when a load first needs it, not while this module is evaluated (hundreds of
// lists: CPU before the first screen can draw).
const d = (s) => { let list; return () => (list ??= s ? s.split(",").flatMap((p) => { const [a, b = a] = p.split("-").map(Number); return Array.from({ length: b - a + 1 }, (_, i) => C[a + i] ?? missing(a + i)); }) : []); };
const missing = (n) => { throw new Error("__wasm_split.js: chunk " + n + " is not defined"); };
const k = (n, deps) => { C[n] = makeLoad(false, "chunk_" + n + ".wasm", d(deps)); };
// Chunks a to b, none with dependencies.
const K = (a, b) => { for (let n = a; n <= b; n++) k(n, ""); };
`;
    const at = out.indexOf("\n", out.indexOf("\n}", out.indexOf("function makeLoad(")) + 1) + 1;
    const result = out.slice(0, at) + helpers + out.slice(at);
    if (/makeLoad\(\(\) =>|__chunk_\d/.test(result)) throw new Error("__wasm_split.js: a loader was left in wasm-split's form");
    return result;
  };
  const start = loader.indexOf("function makeLoad(");
  const end = loader.indexOf("\n}\n", start);
  if (start < 0 || end < 0) throw new Error("makeLoad not found in __wasm_split.js");
  const makeLoad = `// A module's loader -> its instantiation (from its own file or from a bundle, see
// scripts/split-bundles.mjs); failures are forgotten so that a later call retries.
const loaded = new Map();
// A loader -> the loaders it depends on: a bundle holds its entry's closure.
const depsOf = new Map();
function closureOf(loader) {
    const seen = new Set(), stack = [loader];
    while (stack.length) {
        const l = stack.pop();
        if (seen.has(l)) continue;
        seen.add(l);
        stack.push(...depsOf.get(l)());
    }
    return [...seen];
}
// makeLoad(whether a bundle holds its closure, own file, deps: a function giving the loaders it
// depends on); the bundle is "bundle_" + file.
function makeLoad(bundled, file, deps) {
    const bundle = bundled ? "bundle_" + file : undefined;
    const own = async () => {
        const parallelStuff = deps().map(d => d());
        const src = fetch(new URL("./" + file, import.meta.url));
        await Promise.all(parallelStuff);
        return WebAssembly.instantiateStreaming(src, getSharedImports());
    };
    const load = () => {
        const members = bundle ? closureOf(loader) : [];
        // Under the service worker every chunk is already in its cache: no download saved.
        if (!bundle || navigator.serviceWorker?.controller || members.some(m => loaded.has(m))) return own();
        const src = fetch(new URL("./" + bundle, import.meta.url));
        const viaBundle = WebAssembly.instantiateStreaming(src, getSharedImports()).catch((e) => {
            console.warn("bundle " + bundle + " failed, loading its chunks", e);
            for (const m of members) if (m !== loader && loaded.get(m) === viaBundle) loaded.delete(m);
            return own();
        });
        for (const m of members) loaded.set(m, viaBundle);
        return viaBundle;
    };
    const loader = () => {
        if (!loaded.has(loader)) {
            const thisLoad = load();
            if (!loaded.has(loader)) loaded.set(loader, thisLoad);
        }
        const current = loaded.get(loader);
        current.catch(() => { if (loaded.get(loader) === current) loaded.delete(loader); });
        return current;
    };
    depsOf.set(loader, deps);
    return loader;
}`;
  loader = loader.slice(0, start) + makeLoad + loader.slice(end + 2);
  writeFileSync(loaderPath, compact(loader));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
