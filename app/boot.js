// Starts the responder app (loaded by index.html; no inline script, so the Content-Security-Policy
// can forbid inline code). The ?v= below is the build's content hash, filled in by scripts/build.sh.
import init from "/pkg/tocsin_app.js?v=__VERSION__";
init({ module_or_path: "/pkg/tocsin_app_bg.wasm?v=__VERSION__" });
// The service worker (public/sw.js): the app offline, and pages with an Acknowledge button.
if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(console.warn);
