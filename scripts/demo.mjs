// Demo data for `./tocsin run`, loaded through the public API so it takes the same paths as real
// use: people with expertise in teams, schedules with someone on call now, a policy on each
// service, runbook checklists, alerts grouped into incidents, a running incident worked as a team
// (commander, responders, half-ticked checklist, status updates, links, notes, a highlight), and a
// status page with components, a public incident, history and planned maintenance.
//
// Usage: node scripts/demo.mjs BASE_URL   (prints the admin's e-mail and password on success;
// exits non-zero naming the step that failed). Run against a fresh instance only.

const base = process.argv[2];
if (!base) {
  console.error("usage: node scripts/demo.mjs BASE_URL");
  process.exit(2);
}

let cookie = "";
let step = "start";

async function call(method, path, body, { auth = true } = {}) {
  const headers = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (auth && cookie) headers.cookie = cookie;
  const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const set = res.headers.getSetCookie?.() ?? [];
  if (set.length) cookie = set.map((c) => c.split(";")[0]).join("; ");
  const text = await res.text();
  if (!res.ok) throw new Error(`${step}: ${method} ${path} answered ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}
const get = (p) => call("GET", p);
const post = (p, b = {}) => call("POST", p, b);
const put = (p, b) => call("PUT", p, b);
const patch = (p, b) => call("PATCH", p, b);
const hook = (key, b) => call("POST", `/webhooks/generic/${key}`, b, { auth: false });

function password() {
  const bytes = new Uint8Array(15);
  crypto.getRandomValues(bytes);
  return Buffer.from(bytes).toString("base64").replace(/[+/=]/g, "");
}

/** Today at 00:00 UTC as the schedules' naive local start (so someone is on call now). */
function startOfDay(daysBack = 0) {
  const d = new Date(Date.now() - daysBack * 86_400_000);
  return d.toISOString().slice(0, 10) + "T00:00:00";
}

async function main() {
  step = "setup";
  const pw = password();
  await post("/api/setup", { organization: "Acme Demo", email: "admin@example.com", password: pw, name: "Demo Admin" });
  const me = await get("/api/me");
  const admin = me.user.id;

  step = "people";
  const person = async (name, email, role, expertise) => {
    const u = await post("/api/users", { name, email, role, password: password() });
    await patch(`/api/users/${u.user.id}`, { expertise });
    return u.user.id;
  };
  const ana = await person("Ana Ruiz", "ana@example.com", "responder", ["postgres", "payments"]);
  const ben = await person("Ben Okafor", "ben@example.com", "responder", ["k8s", "networking"]);
  const chen = await person("Chen Wei", "chen@example.com", "responder", ["payments", "checkout"]);
  const dara = await person("Dara Singh", "dara@example.com", "responder", ["postgres", "k8s"]);
  await person("Eli Novak", "eli@example.com", "observer", []);
  await patch(`/api/users/${admin}`, { expertise: ["incident-command"] });

  step = "teams";
  const payTeam = await post("/api/teams", { name: "Payments", description: "Checkout and card settlement" });
  const platTeam = await post("/api/teams", { name: "Platform", description: "Clusters, databases and the network" });
  for (const u of [ana, chen, admin]) await patch(`/api/users/${u}`, { teams: [payTeam.id] });
  for (const u of [ben, dara]) await patch(`/api/users/${u}`, { teams: [platTeam.id] });

  step = "services";
  const checkout = await post("/api/services", {
    name: "Checkout API",
    description: "Takes orders and payments from the web shop",
    runbook_url: "https://runbooks.example.com/checkout",
  });
  const payments = await post("/api/services", { name: "Payments Worker", description: "Settles card payments with the processor" });
  const db = await post("/api/services", { name: "Orders Database", description: "PostgreSQL primary and replicas" });
  await patch(`/api/services/${checkout.id}`, { expertise: ["checkout", "payments"], team_id: payTeam.id });
  await patch(`/api/services/${payments.id}`, { expertise: ["payments"], team_id: payTeam.id });
  await patch(`/api/services/${db.id}`, { expertise: ["postgres"], team_id: platTeam.id });

  step = "runbook checklists";
  await put(`/api/services/${checkout.id}/checklist`, {
    steps: [
      { text: "Check the **Checkout** dashboard for error rate and p99 latency" },
      { text: "Look for a deploy in the last hour (`recent changes` on the incident)" },
      { text: "Roll back the last deploy if errors started with it" },
      { text: "Check the payment processor's status page" },
      { text: "Post a status update for customers" },
    ],
  });
  await put(`/api/services/${db.id}/checklist`, {
    steps: [{ text: "Check replication lag and connections" }, { text: "Fail over to a replica if the primary is unhealthy" }],
  });

  step = "schedules";
  const primary = await post("/api/schedules", {
    name: "Payments primary",
    time_zone: "UTC",
    team_id: payTeam.id,
    layers: [{ name: "Daily rotation", participants: [ana, chen, admin], start: startOfDay(0), turn: { type: "daily" } }],
  });
  const platform = await post("/api/schedules", {
    name: "Platform",
    time_zone: "Europe/Berlin",
    team_id: platTeam.id,
    layers: [{ name: "Weekly", participants: [ben, dara], start: startOfDay(3), turn: { type: "weekly" } }],
  });

  step = "escalation policies";
  const payPolicy = await post("/api/escalation-policies", {
    name: "Payments default",
    team_id: payTeam.id,
    levels: [
      { targets: [{ type: "schedule", id: primary.id }], delay_minutes: 10 },
      { targets: [{ type: "user", id: admin }], delay_minutes: 15 },
    ],
    repeats: 1,
  });
  const platPolicy = await post("/api/escalation-policies", {
    name: "Platform default",
    team_id: platTeam.id,
    levels: [{ targets: [{ type: "schedule", id: platform.id }], delay_minutes: 10 }, { targets: [{ type: "user", id: admin }], delay_minutes: 10 }],
  });
  for (const s of [checkout, payments]) await put(`/api/services/${s.id}/escalation-policy`, { policy_id: payPolicy.id });
  await put(`/api/services/${db.id}/escalation-policy`, { policy_id: platPolicy.id });

  step = "alerts";
  await hook(payments.integration_key, { summary: "Card settlement queue older than 15 minutes", severity: "warning", dedup_key: "settle-lag", source: "prometheus" });
  const a = await hook(checkout.integration_key, { summary: "Checkout p99 latency above 2s", severity: "error", dedup_key: "checkout-latency", source: "grafana" });
  const b = await hook(checkout.integration_key, {
    summary: "Checkout 5xx rate above 5%",
    severity: "critical",
    dedup_key: "checkout-5xx",
    source: "alertmanager",
    details: { rate: "7.2%" },
  });
  await hook(checkout.integration_key, { summary: "Checkout 5xx rate above 5%", severity: "critical", dedup_key: "checkout-5xx", source: "alertmanager" });
  await post(`/api/incidents/${a.incident_id}/acknowledge`);
  await hook(checkout.integration_key, { summary: "Checkout p99 latency above 2s", status: "resolved", dedup_key: "checkout-latency" });
  await post("/api/incidents", { title: "Status emails delayed for some customers", severity: "SEV3" });

  step = "the running incident";
  const inc = b.incident_id;
  await post(`/api/incidents/${inc}/acknowledge`);
  await patch(`/api/incidents/${inc}`, {
    summary: "About **7%** of checkout requests fail with 5xx since the 14:05 deploy. Card payments are affected; browsing is not.",
  });
  await put(`/api/incidents/${inc}/roles/commander`, { user_id: admin });
  await put(`/api/incidents/${inc}/roles/communications`, { user_id: chen });
  await put(`/api/incidents/${inc}/services`, { service_ids: [checkout.id, payments.id] });
  await post(`/api/incidents/${inc}/links`, { kind: "chat", url: "https://chat.example.com/archives/inc-checkout-5xx", label: "#inc-checkout-5xx" });
  await post(`/api/incidents/${inc}/links`, { kind: "video", url: "https://meet.example.com/checkout-5xx", label: "Bridge" });
  await post(`/api/incidents/${inc}/responders`, { user_ids: [ana], message: "Payments expertise needed on checkout 5xx" });
  const note = await post(`/api/incidents/${inc}/notes`, { body: "Errors started right after deploy `v2024.12.3` of checkout.\nRolling back." });
  await put(`/api/incidents/${inc}/highlights/${note.seq}`, {});
  const detail = await get(`/api/incidents/${inc}`);
  const steps = detail.checklist ?? [];
  for (const s of steps.slice(0, Math.ceil(steps.length / 2))) await post(`/api/incidents/${inc}/checklist/${s.id}/tick`);
  await post(`/api/incidents/${inc}/checklist`, { text: "Ask the processor whether they saw declines rise" });
  await post(`/api/incidents/${inc}/updates`, {
    status: "identified",
    message: "A bad deploy of checkout causes failed payments for some customers. Rolling back now.",
    next_update_minutes: 30,
    publish: false,
  });

  step = "status page";
  await put("/api/status/page", { name: "Acme Status", time_zone: "Europe/London" });
  const web = await post("/api/status/groups", { name: "Web shop", position: 0 });
  const infra = await post("/api/status/groups", { name: "Infrastructure", position: 1 });
  const cCheckout = await post("/api/status/components", { name: "Checkout", group_id: web.id, position: 0, service_ids: [checkout.id] });
  const cPayments = await post("/api/status/components", { name: "Card payments", group_id: web.id, position: 1, service_ids: [payments.id] });
  await post("/api/status/components", { name: "Catalogue", group_id: web.id, position: 2 });
  const cApi = await post("/api/status/components", { name: "Public API", group_id: infra.id, position: 0 });
  await post("/api/status/components", { name: "Order database", group_id: infra.id, position: 1, service_ids: [db.id] });
  // History: an incident that is over already.
  const old = await post("/api/status/incidents", {
    name: "Slow product search",
    body: "Searches took up to 10 seconds.",
    impact: "minor",
    status: "investigating",
    component_ids: [cApi.id],
    component_status: "degraded_performance",
  });
  await post(`/api/status/incidents/${old.id}/updates`, { status: "resolved", body: "A search index rebuild finished; searches are fast again.", component_status: "operational" });
  // The running one, linked to the internal incident, as its status update published.
  await post(`/api/incidents/${inc}/updates`, {
    status: "identified",
    message: "Some card payments at checkout fail. We found the cause and are rolling back a change.",
    next_update_minutes: 30,
    publish: true,
  });
  await patch(`/api/status/components/${cCheckout.id}`, { status: "partial_outage" });
  await patch(`/api/status/components/${cPayments.id}`, { status: "degraded_performance" });
  const tomorrow = new Date(Date.now() + 86_400_000);
  tomorrow.setUTCHours(2, 0, 0, 0);
  await post("/api/status/maintenances", {
    name: "Database upgrade",
    body: "Order history may be read-only for up to 20 minutes.",
    scheduled_for: tomorrow.toISOString(),
    scheduled_until: new Date(tomorrow.getTime() + 30 * 60_000).toISOString(),
    component_ids: [cApi.id],
  });

  // ---- Action items (issue 14, lane A): two on the checkout incident, one overdue, one done.
  step = "action items";
  const day = (offset) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  await post(`/api/incidents/${inc}/action-items`, {
    title: "Alert when checkout 5xx rises after a deploy",
    owner_id: chen,
    due_date: day(-3),
    priority: "high",
    kind: "monitoring",
  });
  const rollback = await post(`/api/incidents/${inc}/action-items`, {
    title: "Add a one-click rollback to the checkout runbook",
    owner_id: ana,
    due_date: day(7),
    priority: "medium",
    kind: "runbook",
  });
  await patch(`/api/action-items/${rollback.id}`, { status: "done" });

  // ---- Postmortems (issue 14, lane P): a resolved incident with a published blameless postmortem,
  // its customer-facing text on the status page (Statuspage `postmortem` status and body).
  step = "postmortem";
  const slow = await hook(db.integration_key, { summary: "Order database replication lag above 30s", severity: "error", dedup_key: "db-repl-lag", source: "prometheus" });
  const pmInc = slow.incident_id;
  await post(`/api/incidents/${pmInc}/acknowledge`);
  await put(`/api/incidents/${pmInc}/roles/commander`, { user_id: admin });
  const lagNote = await post(`/api/incidents/${pmInc}/notes`, { body: "Replica fell behind during the nightly index rebuild; paused the rebuild." });
  await put(`/api/incidents/${pmInc}/highlights/${lagNote.seq}`, {});
  await post(`/api/incidents/${pmInc}/updates`, { status: "investigating", message: "Order history may show recent orders late.", publish: true });
  await post(`/api/incidents/${pmInc}/updates`, { status: "monitoring", message: "Order history is current again; we are watching it.", publish: true });
  await hook(db.integration_key, { summary: "Order database replication lag above 30s", status: "resolved", dedup_key: "db-repl-lag" });
  await post(`/api/incidents/${pmInc}/resolve`);
  const pmPath = `/api/incidents/${pmInc}/postmortem`;
  const pm = await post(pmPath, {});
  const version = (key) => pm.sections.find((s) => s.key === key).version;
  const sections = {
    summary: "For 25 minutes order history showed new orders late: a read replica fell behind while the nightly index rebuild ran. Pausing the rebuild let it catch up.",
    contributing_factors: "- The index rebuild moved to the busiest hour when the schedule changed to UTC.\n- Replica lag alerts fired at 30 s, later than customers noticed.\n- The runbook did not mention the rebuild.",
    what_went_well: "- The lag alert paged the platform on-call at once.\n- Pausing the rebuild was safe and quick.",
    what_was_hard: "- Nothing on the dashboards linked lag to the rebuild.",
    where_we_got_lucky: "- It happened on a quiet evening; checkout reads the primary.",
    action_items: "- Move the rebuild back to 03:00 local time.\n- Alert on replica lag above 10 s.",
  };
  for (const [key, body] of Object.entries(sections)) await put(`${pmPath}/sections/${key}`, { body, version: version(key) });
  await put(`${pmPath}/public`, {
    text: "On the evening of the incident, **order history** showed new orders up to 25 minutes late. No orders were lost. A database maintenance task slowed a copy of our order database; we have moved that task to a quieter time and now alert much earlier.",
    version: pm.public_version,
  });
  await post(`${pmPath}/comments`, { section: "contributing_factors", body: "Can we add the graph of the lag?" });
  await post(`${pmPath}/status`, { status: "in_review" });
  await post(`${pmPath}/status`, { status: "published" });
  await post(`${pmPath}/publish-public`, {});

  // ---- Metrics (issue 14, lane M): a few incidents opened, acknowledged and resolved now (the
  // API cannot backdate), from Alertmanager alerts whose `startsAt` says the problem began minutes
  // earlier — so the Insights page has MTTD, MTTA and MTTR per service — and one marked as noise.
  step = "metrics";
  const am = (key, name, minutesAgo) =>
    call("POST", `/webhooks/alertmanager/${key}`, {
      version: "4", status: "firing",
      alerts: [{ status: "firing", fingerprint: `demo-${name}`, labels: { alertname: name, severity: "warning" }, startsAt: new Date(Date.now() - minutesAgo * 60_000).toISOString() }],
    }, { auth: false });
  for (const [svc, name, ago, resolve] of [
    [payments, "SettlementWorkerRestarting", 12, true],
    [db, "OrdersDiskAlmostFull", 35, true],
    [checkout, "CheckoutCanaryErrors", 4, false],
  ]) {
    const r = await am(svc.integration_key, name, ago);
    const id = r.alerts[0].incident_id;
    await post(`/api/incidents/${id}/acknowledge`);
    if (resolve) await post(`/api/incidents/${id}/resolve`);
  }
  const flappy = await am(payments.integration_key, "PaymentsProbeFlapping", 1);
  await patch(`/api/incidents/${flappy.alerts[0].incident_id}`, { noise: true });

  console.log(`\n  Demo admin:  admin@example.com\n  Password:    ${pw}   (shown once; it is not stored anywhere readable)\n`);
}

main().catch((e) => {
  console.error(`demo data: ${e.message}`);
  process.exit(1);
});
