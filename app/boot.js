// Starts the responder app (loaded by index.html; no inline script, so the Content-Security-Policy
// can forbid inline code). __VERSION__ is the build's content hash, filled in by scripts/build.sh;
// /pkg/<hash>/ holds the main module and the screens' chunks it loads on navigation.
import init from "/pkg/__VERSION__/tocsin_app.js";
init({ module_or_path: "/pkg/__VERSION__/tocsin_app_bg.wasm" });
// The service worker (public/sw.js): the app offline, and pages with an Acknowledge button.
if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(console.warn);
