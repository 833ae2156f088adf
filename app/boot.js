// Starts the responder app (loaded by index.html; no inline script, so the Content-Security-Policy
// can forbid inline code). __VERSION__ is the build's content hash, filled in by scripts/build.sh;
// /pkg/<hash>/ holds the main module and the screens' chunks it loads on navigation.
// Imported dynamically (index.html already preloads it), so that the rest of this file runs at
// once rather than after the module graph has loaded.
import("/pkg/__VERSION__/tocsin_app.js").then(({ default: init }) => init({ module_or_path: "/pkg/__VERSION__/tocsin_app_bg.wasm" }));
// The service worker (public/sw.js): the app offline, and pages with an Acknowledge button.
if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(console.warn);
// A logged-in visit (asked of /api/me meanwhile) also fetches the code of the screen at this
// address beside the main module, instead of after it: its one-file bundle (scripts/split-bundles.mjs;
// the split loader's own fetch of it is then answered by this preload). __BUNDLES__: screen →
// bundle file, filled in by scripts/build.sh. Under the service worker, chunks come from its cache.
const bundles = "__BUNDLES__";
const routes = [[/^\/(invite)?$/, "incidents"], [/^\/incidents\/[^/]+$/, "incident"], [/^\/incidents\/[^/]+\/postmortem$/, "postmortem"],
  [/^\/services$/, "services"], [/^\/services\/[^/]+$/, "service"], [/^\/status-admin$/, "status_admin"], [/^\/schedules\/[^/]+$/, "schedule"],
  [/^\/escalation-policies$/, "policies"], [/^\/me$/, "me"], [/^\/settings\/webhooks$/, "webhooks"], [/^\/settings\/audit$/, "audit"],
  [/^\/readiness$/, "readiness"], [/^\/insights$/, "insights"], [/^\/action-items$/, "action_items"]];
const bundle = bundles[routes.find(([re]) => re.test(location.pathname))?.[1]];
if (bundle && !navigator.serviceWorker?.controller) {
  fetch("/api/me", { headers: { accept: "application/json" } }).then((r) => {
    if (!r.ok) return;
    const link = Object.assign(document.createElement("link"), { rel: "preload", as: "fetch", crossOrigin: "anonymous", href: `/pkg/__VERSION__/${bundle}` });
    document.head.append(link);
  }, () => {});
}
