// Tocsin's service worker: the app shell offline, the last incidents seen when offline, and
// pages (Web Push) with an Acknowledge action that works from the lock screen.
//
// Plain JavaScript on purpose: a service worker must start fast and stay tiny. build.sh replaces
// __VERSION__ with the build's content hash, so every build gets a fresh shell cache and the
// previous one is deleted when this worker activates.

const VERSION = "__VERSION__";
const SHELL_CACHE = `tocsin-shell-${VERSION}`;
// Survives app updates; holds the organisation's data, so the app deletes it on logout
// (app/src/api.rs names the same cache) and this worker does on a 401.
const API_CACHE = "tocsin-api";
// Acknowledgements tapped while offline, sent when the network is back.
const ACK_QUEUE = "tocsin-ack-queue";
const SHELL = [
  "/",
  "/index.html",
  `/tocsin.css?v=${VERSION}`,
  `/boot.js?v=${VERSION}`,
  // The app's modules: the main one and every screen's chunks (build.sh lists them), so that
  // any screen opens offline.
  "__PKG_FILES__",
  "/manifest.webmanifest",
  "/favicon.svg",
  "/favicon-64.png",
  "/apple-touch-icon.png",
  "/icon-192.png",
  "/icon-512.png",
  "/icon-512-maskable.png",
  "/badge-96.png",
];
const ICON = "/icon-192.png";
const BADGE = "/badge-96.png";
const STORED_AT = "X-Tocsin-Stored-At";
const STALE = "X-Tocsin-Stale";

// ---- Install and activate ----

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    // A few files at a time, not all at once: the page that registered this worker may still be
    // fetching what it needs next. "no-cache" revalidates what the browser already holds (the
    // main module the page just loaded is answered 304, not downloaded twice).
    // One failure fails the install (it is tried again at the next registration), and the
    // queue is emptied so that the other fetchers stop rather than download the rest for nothing.
    const queue = [...SHELL];
    const next = async () => {
      for (let path = queue.shift(); path !== undefined; path = queue.shift()) {
        try {
          // "/" and "/index.html" are the same page; fetch "/" for both so that no redirect is cached.
          const resp = await fetch(path === "/index.html" ? "/" : path, { cache: "no-cache" });
          if (!resp.ok) throw new Error(`${path}: ${resp.status}`);
          await cache.put(path, resp);
        } catch (e) {
          queue.length = 0;
          throw e;
        }
      }
    };
    await Promise.all(Array.from({ length: 6 }, next));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith("tocsin-shell-") && n !== SHELL_CACHE).map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

// ---- Fetch: shell cache-first, navigations and API reads network-first ----

// Paths the worker answers itself (status page, webhooks, API): never replaced by the app shell.
const SERVER_PAGES = /^\/(?:(?:api|webhooks|v2|status|cdn-cgi)(?:\/|$)|healthz$|history\.)/;
// API reads worth keeping for offline use (incidents and who is on call). /api/setup tells the
// app that setup is done.
const CACHED_API = /^\/api\/(setup|me|oncall|incidents(\/[^/]+)?)$/;

self.addEventListener("fetch", (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  // The network may be back: send acknowledgements tapped while offline.
  event.waitUntil(flushAckQueue());
  if (req.method !== "GET") return;
  if (req.mode === "navigate") {
    if (!SERVER_PAGES.test(url.pathname)) event.respondWith(page(req));
    return;
  }
  if (CACHED_API.test(url.pathname)) {
    event.respondWith(apiRead(req));
    return;
  }
  if (!url.pathname.startsWith("/api/")) event.respondWith(shellFirst(req));
});

async function page(req) {
  try {
    return await fetch(req);
  } catch (e) {
    const cached = await caches.match("/index.html", { cacheName: SHELL_CACHE });
    if (cached) return cached;
    throw e;
  }
}

async function shellFirst(req) {
  const cached = await caches.match(req, { cacheName: SHELL_CACHE });
  return cached || fetch(req);
}

async function apiRead(req) {
  let resp;
  try {
    resp = await fetch(req);
  } catch (e) {
    const cached = await caches.match(req, { cacheName: API_CACHE, ignoreVary: true });
    if (!cached) throw e;
    const headers = new Headers(cached.headers);
    headers.set(STALE, cached.headers.get(STORED_AT) || new Date(0).toISOString());
    return new Response(cached.body, { status: cached.status, statusText: cached.statusText, headers });
  }
  if (resp.status === 401) {
    await caches.delete(API_CACHE); // the session ended: forget what it could read
  } else if (resp.ok) {
    const copy = resp.clone();
    const headers = new Headers(copy.headers);
    headers.set(STORED_AT, new Date().toISOString());
    const body = await copy.arrayBuffer();
    const cache = await caches.open(API_CACHE);
    await cache.put(req, new Response(body, { status: copy.status, statusText: copy.statusText, headers }));
  }
  return resp;
}

// ---- Push: show the page ----

self.addEventListener("push", (event) => {
  event.waitUntil(onPush(event.data ? event.data.text() : ""));
});

// A push message's text (JSON, see PushPayload in domain/src/notification.rs) → a notification.
function onPush(text) {
  let payload = null;
  try {
    payload = JSON.parse(text);
  } catch (e) { /* not JSON: still show something, as userVisibleOnly promises */ }
  if (!payload || typeof payload !== "object") {
    payload = { type: "test", title: "Tocsin", body: text, tag: "tocsin", url: "/" };
  }
  return Promise.all([showPayload(payload), flushAckQueue()]);
}

function showPayload(p) {
  const page = p.type === "page";
  // A responder request (type "responder") carries its buttons: Join and Decline.
  const asked = p.type === "responder" && p.token && Array.isArray(p.actions);
  // A status-update reminder (type "update_due") is not a page: no Acknowledge, no insisting;
  // its one button opens the incident to post the update.
  const due = p.type === "update_due";
  if (due && !p.url && p.incident_id) p.url = `/incidents/${encodeURIComponent(p.incident_id)}`;
  return self.registration.showNotification(p.title || (due ? "Tocsin: status update due" : "Tocsin"), {
    body: p.body || "",
    tag: p.tag || "tocsin",
    renotify: Boolean(p.renotify && p.tag),
    requireInteraction: page || asked,
    data: p,
    icon: ICON,
    badge: BADGE,
    actions: asked
      ? p.actions.filter((a) => a && (a.action === "join" || a.action === "decline")).map((a) => ({ action: a.action, title: String(a.title || a.action) }))
      : page && p.token
        ? [{ action: "ack", title: "Acknowledge" }, { action: "open", title: "Open" }]
        : [{ action: "open", title: due ? "Post update" : "Open" }],
  });
}

// A follow-up notification about the same incident (same tag: it replaces the page). Failing
// to show it (no permission any more) does not change what happened to the acknowledgement.
function showResult(p, title, body, withOpen) {
  return self.registration.showNotification(title, {
    body,
    tag: p.tag || "tocsin",
    data: p,
    icon: ICON,
    badge: BADGE,
    actions: withOpen ? [{ action: "open", title: "Open" }] : [],
  }).catch((e) => console.warn("Tocsin: could not show a notification", e));
}

// ---- Notification actions ----

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(notificationAction(event.action || "open", event.notification.data || {}));
});

// The one code path for a notification's buttons: the notificationclick handler above and the
// test hook below both call it. Resolves to {ok, status, text}.
function notificationAction(action, payload) {
  if (action === "ack") return acknowledgeFromNotification(payload);
  if (action === "join" || action === "decline") return answerFromNotification(action, payload);
  return openFromNotification(payload);
}

// Join or decline a responder request with the notification's action token (no session needed).
async function answerFromNotification(action, p) {
  const label = p.number ? `#${p.number}` : "the incident";
  const path = `/api/incidents/${encodeURIComponent(p.incident_id || "")}/responders/${encodeURIComponent(p.user_id || "")}/${action}`;
  let resp;
  try {
    resp = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: p.token || "" }),
      credentials: "omit",
    });
  } catch (e) {
    await showResult(p, `Could not answer — ${label}`, "No connection right now. Open Tocsin to answer there.", true);
    return { ok: false, status: 0, text: String(e && e.message ? e.message : e) };
  }
  const text = await resp.text();
  if (resp.ok) {
    await showResult(p, action === "join" ? `Joined — ${label}` : `Declined — ${label}`,
      action === "join" ? "You joined as a responder. Open Tocsin to see what is happening." : "Thanks for answering.", action === "join");
  } else {
    await showResult(p, `Could not answer — ${label}`, `Tocsin answered ${resp.status}. Open Tocsin to answer there.`, true);
  }
  return { ok: resp.ok, status: resp.status, text };
}

// Acknowledge with the page's action token (no session needed). Offline, the acknowledgement is
// queued and sent on the next Background Sync, push, fetch or message.
async function acknowledgeFromNotification(p, fromQueue = false) {
  const label = p.number ? `#${p.number}` : "the incident";
  let resp;
  try {
    resp = await fetch("/api/actions/acknowledge", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: p.token || "" }),
      credentials: "omit",
    });
  } catch (e) {
    if (!fromQueue) {
      await queueAck(p);
      await showResult(p, "Will acknowledge when back online", `${label}: no connection right now. Tocsin sends it as soon as it can.`, true);
    }
    return { ok: false, status: 0, text: `queued: ${e && e.message ? e.message : e}` };
  }
  const text = await resp.text();
  if (resp.status >= 500 || resp.status === 429) {
    // The server could not take it now: keep it queued rather than lose it.
    if (!fromQueue) {
      await queueAck(p);
      await showResult(p, "Will acknowledge shortly", `${label}: Tocsin answered ${resp.status}; retrying.`, true);
    }
    return { ok: false, status: resp.status, text };
  }
  if (resp.ok) {
    let incident = {};
    let changed = true;
    try {
      const j = JSON.parse(text);
      incident = j.incident || {};
      changed = j.changed !== false;
    } catch (e) { /* the acknowledgement went through; only the wording suffers */ }
    const what = `#${incident.number ?? p.number ?? ""} ${incident.title ?? ""}`.trim();
    const by = incident.acknowledged_by && incident.acknowledged_by.name;
    await showResult(p, `Acknowledged — ${what}`,
      changed ? "You acknowledged it. Escalation has stopped." : `It was already acknowledged${by ? ` by ${by}` : ""}.`, false);
  } else if (resp.status === 409) {
    await showResult(p, `Already resolved — ${label}`, "Nothing to acknowledge. Open Tocsin to see what happened.", true);
  } else if (resp.status === 401) {
    await showResult(p, `Could not acknowledge ${label}`, "This notification's Acknowledge has expired. Open Tocsin to acknowledge it there.", true);
  } else {
    await showResult(p, `Could not acknowledge ${label}`, `Tocsin answered ${resp.status}. Open Tocsin to acknowledge it there.`, true);
  }
  return { ok: resp.ok, status: resp.status, text };
}

async function openFromNotification(p) {
  const url = new URL(p.url || "/", self.location.origin).href;
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const w of windows) {
    if (new URL(w.url).origin !== self.location.origin) continue;
    try {
      const moved = await w.navigate(url);
      await (moved || w).focus().catch(() => {});
      return { ok: true, status: 0, text: `navigated to ${url}` };
    } catch (e) { /* not controlled by this worker; try the next one or open a window */ }
  }
  try {
    await self.clients.openWindow(url);
    return { ok: true, status: 0, text: `opened ${url}` };
  } catch (e) {
    return { ok: false, status: 0, text: `could not open ${url}: ${e && e.message ? e.message : e}` };
  }
}

// ---- The offline acknowledgement queue (Cache API, one entry per incident) ----

function queueKey(p) {
  return new Request(`/__tocsin/ack-queue/${encodeURIComponent(p.tag || p.incident_id || p.token || "x")}`);
}

async function queueAck(p) {
  const cache = await caches.open(ACK_QUEUE);
  await cache.put(queueKey(p), new Response(JSON.stringify(p), { headers: { "Content-Type": "application/json" } }));
  try {
    await self.registration.sync.register("tocsin-ack");
  } catch (e) { /* no Background Sync here: push, fetch and message events retry instead */ }
}

let flushing = null;
function flushAckQueue() {
  if (!flushing) {
    flushing = (async () => {
      const cache = await caches.open(ACK_QUEUE);
      for (const key of await cache.keys()) {
        let p = null;
        try {
          const resp = await cache.match(key);
          p = resp ? await resp.json() : null;
        } catch (e) { /* unreadable entry: dropped below */ }
        if (!p || !p.token) {
          await cache.delete(key);
          continue;
        }
        let result;
        try {
          result = await acknowledgeFromNotification(p, true);
        } catch (e) {
          continue; // this entry failed oddly: the others still go
        }
        if (result.status === 0 || result.status >= 500 || result.status === 429) break; // still offline
        // Delete only what was sent: a newer tap (a fresh token) queued meanwhile stays.
        const now = await cache.match(key);
        const current = now ? await now.json().catch(() => null) : null;
        if (!current || current.token === p.token) await cache.delete(key);
      }
    })().finally(() => { flushing = null; });
  }
  return flushing;
}

self.addEventListener("sync", (event) => {
  if (event.tag === "tocsin-ack") event.waitUntil(flushAckQueue());
});

// ---- Messages ----
// Test hook (and the app's way in): postMessage({type: "tocsin-notification-action",
// action: "ack" | "join" | "decline" | "open", payload}) runs exactly what tapping that notification button runs and
// replies {ok, status, text} on event.ports[0] when given a MessageChannel, else to the sender.
// {type: "tocsin-push", data: "<the push message's text>"} runs what a push event runs (headless
// browsers have no push service to deliver one); it replies {ok: true} once shown.
// {type: "tocsin-flush-acks"} sends queued acknowledgements now; it replies {queued: n} after.
self.addEventListener("message", (event) => {
  const msg = event.data || {};
  const reply = (value) => {
    if (event.ports && event.ports[0]) event.ports[0].postMessage(value);
    else if (event.source) event.source.postMessage(value);
  };
  if (msg.type === "tocsin-notification-action") {
    event.waitUntil(notificationAction(msg.action, msg.payload || {})
      .catch((e) => ({ ok: false, status: 0, text: String(e) }))
      .then(reply));
  } else if (msg.type === "tocsin-push") {
    event.waitUntil(onPush(String(msg.data || ""))
      .then(() => ({ ok: true }), (e) => ({ ok: false, text: String(e) }))
      .then(reply));
  } else {
    event.waitUntil(flushAckQueue().then(async () => {
      if (msg.type === "tocsin-flush-acks") reply({ queued: (await (await caches.open(ACK_QUEUE)).keys()).length });
    }));
  }
});

// ---- The push service rotated the subscription: register the new one (same session cookie) ----

self.addEventListener("pushsubscriptionchange", (event) => {
  event.waitUntil((async () => {
    const old = event.oldSubscription;
    const sub = event.newSubscription || (old && await self.registration.pushManager.subscribe(old.options));
    if (!sub) return;
    await fetch("/api/push/subscriptions", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ ...sub.toJSON(), device: null }),
    });
  })());
});
