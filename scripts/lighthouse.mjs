// Lighthouse as a bench (./tocsin bench-lighthouse): a fresh local instance (wrangler dev on a free
// port, new D1 directory, migrations, demo data through scripts/demo.mjs), a login, then Lighthouse
// mobile (its default simulated throttling, mobile form factor) with the tests' Chromium on the
// login screen, the incidents list and an incident page; the logged-in pages get the session
// cookie through `--extra-headers`. Prints performance / accessibility scores, FCP, LCP and TBT
// per page, each run's figures with Lighthouse's CPU benchmark index of the machine (the simulated
// TBT scales with it), and each failed accessibility audit. Reports stay in .tocsin/lighthouse/*.json.
//
// Usage: node scripts/lighthouse.mjs [--runs N] [--traces]   (N runs per page, the median by performance
// shown; --traces keeps each run's trace, *-0.trace.json, for a look at its long tasks)
// Environment: LIGHTHOUSE (the CLI, set by setup_lighthouse), CHROMIUM (/usr/bin/chromium).
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf("--runs") + 1] || 1) || 1;
// --traces: also keep each run's Chromium trace and DevTools log (Lighthouse's --save-assets) beside its report.
const traces = args.includes("--traces");
const lighthouse = process.env.LIGHTHOUSE;
const chromium = process.env.CHROMIUM || "/usr/bin/chromium";
if (!lighthouse) { console.error("LIGHTHOUSE is not set (run through ./tocsin bench-lighthouse)"); process.exit(2); }

const root = process.cwd();
const state = mkdtempSync(join(tmpdir(), "tocsin-lighthouse-"));
const env = { ...process.env, XDG_CONFIG_HOME: join(state, ".config"), WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };
const wrangler = join(root, "node_modules/.bin/wrangler");

const freePort = () => new Promise((ok) => { const s = createServer().listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => ok(p)); }); });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let server;
function stop() { if (server && server.exitCode === null) { try { process.kill(-server.pid, "SIGTERM"); } catch {} } }
process.on("exit", () => { stop(); rmSync(state, { recursive: true, force: true }); });
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(130));

async function main() {
  const mig = spawnSync(wrangler, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", state], { env, encoding: "utf8" });
  if (mig.status !== 0) throw new Error(`migrations failed: ${mig.stderr}`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  server = spawn(wrangler, ["dev", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", state,
    "--show-interactive-dev-session=false", "--log-level", "warn", "--var", `TOCSIN_SECRET_KEY:${randomBytes(32).toString("base64url")}`],
    { env, stdio: ["ignore", "ignore", "inherit"], detached: true });
  for (let i = 0; ; i++) {
    try { if ((await fetch(`${base}/healthz`)).ok) break; } catch {}
    if (i > 300) throw new Error("wrangler dev did not become healthy");
    await sleep(200);
  }
  const demo = spawnSync(process.execPath, ["scripts/demo.mjs", base], { encoding: "utf8" });
  if (demo.status !== 0) throw new Error(`demo data: ${demo.stderr}`);
  const password = /Password:\s+(\S+)/.exec(demo.stdout)[1];
  const login = await fetch(`${base}/api/auth/login`, { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "admin@example.com", password }) });
  if (!login.ok) throw new Error(`login answered ${login.status}`);
  const cookie = login.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const list = await (await fetch(`${base}/api/incidents`, { headers: { cookie } })).json();
  // The richest incident: the running one worked as a team (demo.mjs), i.e. the longest timeline.
  const open = list.incidents.find((i) => i.status !== "resolved") ?? list.incidents[0];
  const pages = [
    ["login", `${base}/`, null],
    ["incidents list", `${base}/`, cookie],
    ["incident page", `${base}/incidents/${open.id}`, cookie],
  ];
  const out = join(root, ".tocsin/lighthouse");
  mkdirSync(out, { recursive: true });
  const rows = [];
  for (const [name, url, ck] of pages) {
    const results = [];
    for (let r = 0; r < runs; r++) {
      const file = join(out, `${name.replace(/ /g, "-")}${runs > 1 ? `-${r + 1}` : ""}.json`);
      const lh = spawnSync(lighthouse, [url, "--quiet", "--output=json", `--output-path=${file}`,
        "--only-categories=performance,accessibility", "--form-factor=mobile", ...(traces ? ["--save-assets"] : []),
        `--chrome-flags=--headless=new --no-sandbox --disable-dev-shm-usage`,
        ...(ck ? [`--extra-headers=${JSON.stringify({ cookie: ck })}`] : [])],
        { env: { ...process.env, CHROME_PATH: chromium }, encoding: "utf8" });
      if (lh.status !== 0) throw new Error(`lighthouse on ${name} failed: ${lh.stderr.slice(-2000)}`);
      results.push(JSON.parse(readFileSync(file, "utf8")));
    }
    // Each run in the order it ran (score, LCP, TBT), and Lighthouse's own CPU benchmark of the
    // machine during it: the simulated TBT is the observed main-thread work × 4, so the same build
    // scores lower when the machine is slower or busier; compare runs only at similar indexes.
    const each = results.map((x) => `${Math.round(x.categories.performance.score * 100)}/${Math.round(x.audits["largest-contentful-paint"].numericValue)}/${Math.round(x.audits["total-blocking-time"].numericValue)}`);
    const bench = results.map((x) => x.environment?.benchmarkIndex ?? NaN).sort((x, y) => x - y);
    results.sort((a, b) => a.categories.performance.score - b.categories.performance.score);
    const rep = results[Math.floor(results.length / 2)];
    const a = rep.audits;
    const ms = (id) => (a[id]?.numericValue ?? NaN);
    rows.push({ name, version: rep.lighthouseVersion, perf: rep.categories.performance.score * 100, a11y: rep.categories.accessibility.score * 100,
      fcp: ms("first-contentful-paint"), lcp: ms("largest-contentful-paint"), tbt: ms("total-blocking-time"), each, bench,
      failed: Object.values(a).filter((x) => rep.categories.accessibility.auditRefs.some((r) => r.id === x.id && r.weight > 0) && x.score !== null && x.score < 1)
        .map((x) => `${x.id}: ${(x.details?.items ?? []).slice(0, 3).map((i) => i.node?.snippet ?? "").join(" | ")}`),
      perfHints: ["render-blocking-resources", "bootup-time", "mainthread-work-breakdown", "unused-javascript", "total-byte-weight"]
        .filter((id) => a[id] && a[id].score !== null && a[id].score < 0.9).map((id) => `${id}: ${a[id].displayValue ?? ""}`),
    });
  }
  const pad = (s, n) => String(s).padStart(n);
  console.log(`\nLighthouse ${rows[0].version} mobile, simulated throttling, ${runs} run(s) per page (median by performance), Chromium ${chromiumVersion()}`);
  console.log(`  ${"page".padEnd(16)} ${pad("perf", 5)} ${pad("a11y", 5)} ${pad("FCP ms", 8)} ${pad("LCP ms", 8)} ${pad("TBT ms", 8)}`);
  for (const r of rows) console.log(`  ${r.name.padEnd(16)} ${pad(Math.round(r.perf), 5)} ${pad(Math.round(r.a11y), 5)} ${pad(Math.round(r.fcp), 8)} ${pad(Math.round(r.lcp), 8)} ${pad(Math.round(r.tbt), 8)}`);
  if (runs > 1) {
    console.log(`  each run, in order: performance/LCP ms/TBT ms; CPU benchmark index (Lighthouse's, higher is faster) median (min-max)`);
    for (const r of rows) console.log(`  ${r.name.padEnd(16)} ${r.each.join("  ")}; index ${Math.round(r.bench[Math.floor(r.bench.length / 2)])} (${Math.round(r.bench[0])}-${Math.round(r.bench.at(-1))})`);
  } else {
    for (const r of rows) console.log(`  ${r.name}: CPU benchmark index (Lighthouse's, higher is faster) ${Math.round(r.bench[0])}`);
  }
  for (const r of rows) {
    for (const f of r.failed) console.log(`  ${r.name}: accessibility: ${f}`);
    for (const h of r.perfHints) console.log(`  ${r.name}: performance: ${h}`);
  }
  console.log(`  reports: ${out}/*.json`);
}

function chromiumVersion() {
  return (spawnSync(chromium, ["--version"], { encoding: "utf8" }).stdout || "").replace(/^\D+/, "").trim();
}

main().then(() => process.exit(0), (e) => { console.error(`bench-lighthouse: ${e.message}`); process.exit(1); });
