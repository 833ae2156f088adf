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

  console.log(`\n  Demo admin:  admin@example.com\n  Password:    ${pw}   (shown once; it is not stored anywhere readable)\n`);
}

main().catch((e) => {
  console.error(`demo data: ${e.message}`);
  process.exit(1);
});
