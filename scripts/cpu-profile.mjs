// A CPU profile of a running `wrangler dev` through its inspector (Chrome DevTools protocol):
// samples for SECONDS, then prints where the worker's time went, by function (self time) and
// by family (crate or JS module). Usage: node scripts/cpu-profile.mjs PORT SECONDS [out.cpuprofile]
// (start the instance with TOCSIN_INSPECTOR_PORT=PORT; a bench's instance takes it from the env).
import { writeFileSync } from "node:fs";
import WebSocket from "ws";

const [port = "9229", seconds = "20", out] = process.argv.slice(2);
const targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
console.log("targets:", targets.map((t) => t.title || t.id).join(", "));
const target = targets.find((t) => /tocsin|worker|core:user/i.test(t.title || "")) || targets[0];
const ws = new WebSocket(target.webSocketDebuggerUrl);
await new Promise((ok, fail) => { ws.on("open", ok); ws.on("error", fail); });
let id = 0; const waiting = new Map();
ws.on("message", (m) => { const v = JSON.parse(m); if (v.id && waiting.has(v.id)) { waiting.get(v.id)(v); waiting.delete(v.id); } });
const call = (method, params = {}) => new Promise((ok) => { const n = ++id; waiting.set(n, ok); ws.send(JSON.stringify({ id: n, method, params })); });
await call("Profiler.enable");
await call("Profiler.setSamplingInterval", { interval: 250 });
await call("Profiler.start");
await new Promise((r) => setTimeout(r, Number(seconds) * 1000));
const { result } = await call("Profiler.stop");
ws.close();
const p = result.profile;
if (out) writeFileSync(out, JSON.stringify(p));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = p.timeDeltas; let total = 0;
p.samples.forEach((s, i) => { const n = byId.get(s); const t = dt[i] || 0; total += t; const f = n.callFrame; const k = `${f.functionName || "(anon)"} ${f.url ? f.url.split("/").pop() : ""}`; self.set(k, (self.get(k) || 0) + t); });
const fam = new Map();
for (const [k, t] of self) {
  let f = k.startsWith("(idle)") ? "(idle)" : k.startsWith("(program)") ? "(program)" : k.startsWith("(garbage") ? "(gc)" : k.includes(".wasm") || /^\$?_?ZN|wasm-function/.test(k) ? "wasm: " + (k.match(/(?:_ZN|\$)?(\d+)?([a-z_][a-z0-9_]*)/i)?.[2] || "?") : "js: " + (k.split(" ")[1] || "?");
  fam.set(f, (fam.get(f) || 0) + t);
}
const ms = (t) => (t / 1000).toFixed(0).padStart(7);
const busy = total - (self.get("(idle) ") || 0);
console.log(`sampled ${ms(total)} ms, busy ${ms(busy)} ms`);
console.log("by family (self):");
for (const [k, t] of [...fam].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${ms(t)} ms ${(100 * t / busy).toFixed(1).padStart(5)} %  ${k}`);
console.log("top functions (self):");
for (const [k, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 45)) console.log(`  ${ms(t)} ms ${(100 * t / busy).toFixed(1).padStart(5)} %  ${k.slice(0, 150)}`);
