// Starts the responder app (loaded by index.html; no inline script, so the Content-Security-Policy
// can forbid inline code). __VERSION__ is the build's content hash, filled in by scripts/build.sh;
// /pkg/<hash>/ holds the main module and the screens' chunks it loads on navigation.
// Imported dynamically (index.html already preloads it), so that the rest of this file runs at
// once rather than after the module graph has loaded.
import("/pkg/__VERSION__/tocsin_app.js").then(({ default: init }) => init({ module_or_path: "/pkg/__VERSION__/tocsin_app_bg.wasm" }));
// The service worker (public/sw.js): the app offline, and pages with an Acknowledge button.
// Its first install downloads and stores every screen's modules for offline use (hundreds of
// files): seconds of CPU and network that, begun while the first screen still loads or has just
// drawn, made that screen's tasks long. On a page it does not control yet it is registered only
// once the screen has drawn: 2 s after the page's last largest paint (a larger one restarts the
// wait), or 15 s after load where the browser does not report those, then when the browser is
// idle. Under a worker already installed, registering is only the browser's update check: at once.
// (Enabling push on the Me screen registers it itself.)
if ("serviceWorker" in navigator) {
  let timer, paints, done;
  const register = () => done || (done = navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(console.warn), paints?.disconnect());
  const after = (ms) => { clearTimeout(timer); timer = setTimeout(() => (globalThis.requestIdleCallback ? requestIdleCallback(register, { timeout: 3000 }) : register()), ms); };
  const loaded = () => {
    after(15000);
    if (globalThis.PerformanceObserver?.supportedEntryTypes?.includes("largest-contentful-paint")) (paints = new PerformanceObserver(() => after(2000))).observe({ type: "largest-contentful-paint", buffered: true });
  };
  if (navigator.serviceWorker.controller) register();
  else if (document.readyState === "complete") loaded();
  else addEventListener("load", loaded, { once: true });
}
const bundles = "__BUNDLES__";
const routes = [[/^\/(invite)?$/, "incidents"], [/^\/incidents\/[^/]+$/, "incident"], [/^\/incidents\/[^/]+\/postmortem$/, "postmortem"],
  [/^\/services$/, "services"], [/^\/services\/[^/]+$/, "service"], [/^\/status-admin$/, "status_admin"], [/^\/schedules\/[^/]+$/, "schedule"],
  [/^\/escalation-policies$/, "policies"], [/^\/me$/, "me"], [/^\/settings\/webhooks$/, "webhooks"], [/^\/settings\/audit$/, "audit"],
  [/^\/readiness$/, "readiness"], [/^\/insights$/, "insights"], [/^\/action-items$/, "action_items"]];
const bundle = bundles[routes.find(([re]) => re.test(location.pathname))?.[1]];
// The reads the app makes before it can draw, begun now, while the main module downloads, instead
// of after it has started (each would otherwise be a round trip of its own between the download
// and the first screen). The app's API client (app/src/api.rs `prefetched`) takes each answer
// once, by its absolute URL (`__tocsinTake`), and asks the network itself for anything else or any later read.
// Only plain GETs of the app's own API, as the app would send them; the screen's data only once
// /api/me says the visitor is logged in.
// An answer not taken within 30 s is dropped (it would be stale), and all are dropped when the
// session changes (`__tocsinForget`, on login, logout, setup, invitation): a later user of the
// tab never sees a read made for the one before.
const prefetch = new Map();
const FRESH_MS = 30_000;
globalThis.__tocsinTake = (url) => {
  const entry = prefetch.get(url);
  prefetch.delete(url);
  return entry && performance.now() - entry.at < FRESH_MS ? entry.answer : undefined;
};
globalThis.__tocsinForget = () => prefetch.clear();
// The URLs read ahead and not taken yet (for tests/tests/browser.rs: a cold start leaves none).
globalThis.__tocsinWaiting = () => [...prefetch.keys()];
// For app/src/components/lazy_part.rs: resolves once the next frame has been painted (a timeout
// queued from an animation frame runs after that frame's paint) and the browser has had a moment
// with nothing to do (at most 500 ms later; at once where it cannot say so), so that a part's
// code (the note form under a timeline) is fetched after the screen is on show, not while the
// frame that shows it is still on its way.
globalThis.__tocsinAfterPaint = () => new Promise((done) => requestAnimationFrame(() => setTimeout(() =>
  globalThis.requestIdleCallback ? requestIdleCallback(done, { timeout: 500 }) : done())));
// For app/src/components/turns.rs: resolves in a new task (a yield to input and rendering between
// the steps of a start): `scheduler.yield` where the browser has it, else a message to itself (a
// task too, and unlike a timeout not slowed to once a second in a background tab).
const turns = new MessageChannel();
const turnsWaiting = [];
turns.port1.onmessage = () => turnsWaiting.shift()?.();
globalThis.__tocsinNextTask = () => globalThis.scheduler?.yield ? globalThis.scheduler.yield()
  : new Promise((done) => { turnsWaiting.push(done); turns.port2.postMessage(null); });
const read = (path) => {
  const url = new URL(path, location.origin).href;
  const answer = fetch(url, { headers: { accept: "application/json" } });
  const entry = { answer, at: performance.now() };
  prefetch.set(url, entry);
  answer.catch(() => prefetch.get(url) === entry && prefetch.delete(url));
  setTimeout(() => prefetch.get(url) === entry && prefetch.delete(url), FRESH_MS);
  return answer;
};
read("/api/setup");
const incident = /^\/incidents\/([0-9A-Za-z-]+)$/.exec(location.pathname)?.[1]; // an id, nothing else
const screenReads = /^\/(invite)?$/.test(location.pathname) ? ["/api/incidents?status=open&limit=50", "/api/oncall"]
  : incident ? [`/api/incidents/${incident}`] : [];
read("/api/me").then((r) => {
  if (!r.ok) return;
  screenReads.forEach(read);
  // The screen's code beside the main module, instead of after it: its one-file bundle
  // (scripts/split-bundles.mjs; the split loader's own fetch of it is then answered by this
  // preload). __BUNDLES__: screen → bundle file, filled in by scripts/build.sh. Under the
  // service worker, chunks come from its cache.
  if (bundle && !navigator.serviceWorker?.controller) {
    const link = Object.assign(document.createElement("link"), { rel: "preload", as: "fetch", crossOrigin: "anonymous", href: `/pkg/__VERSION__/${bundle}` });
    document.head.append(link);
  }
}, () => {});
