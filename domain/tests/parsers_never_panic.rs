//! Every vendor parser takes untrusted bytes: none may panic, whatever arrives. Property tests
//! over random bytes, random JSON, and mutations (truncation, byte flips, value swaps) of the
//! real-shaped fixtures. Bounded case counts keep this in the normal test run.

use proptest::prelude::*;
use serde_json::{json, Value};
use tocsin_domain::vendors::{self, cloudwatch, opsgenie, pagerduty, sentry, Vendor};

const FIXTURES: &[&str] = &[
    include_str!("../../tests/fixtures/alertmanager.json"),
    include_str!("../../tests/fixtures/grafana.json"),
    include_str!("../../tests/fixtures/datadog.json"),
    include_str!("../../tests/fixtures/pagerduty_trigger.json"),
    include_str!("../../tests/fixtures/opsgenie_create.json"),
    include_str!("../../tests/fixtures/sentry_event_alert.json"),
    include_str!("../../tests/fixtures/sentry_metric_alert.json"),
    include_str!("../../tests/fixtures/sns_notification.json"),
];

fn all_parsers(body: &[u8]) {
    for v in Vendor::WEBHOOKS.into_iter().chain([Vendor::PagerDuty, Vendor::Opsgenie]) {
        let _ = vendors::parse_webhook(v, body);
    }
    let _ = pagerduty::parse_change(body);
    let _ = opsgenie::parse_action_body(body);
    for r in [None, Some("event_alert"), Some("metric_alert"), Some("issue"), Some("installation")] {
        let _ = sentry::parse(body, r);
    }
    if let Ok(m) = cloudwatch::parse(body) {
        let _ = cloudwatch::string_to_sign(m.envelope());
        let _ = cloudwatch::verify(m.envelope(), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----");
    }
    let _ = tocsin_domain::alert::parse_generic(body);
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        prop_oneof![
            Just("firing"), Just("resolved"), Just("trigger"), Just("resolve"), Just("ALARM"), Just("OK"),
            Just("critical"), Just("P1"), Just("Notification"), Just("0001-01-01T00:00:00Z"), Just("2026-11-24T10:00:00Z")
        ]
        .prop_map(|s| Value::String(s.into())),
    ];
    let keys = prop_oneof![
        Just("alerts"), Just("status"), Just("labels"), Just("annotations"), Just("fingerprint"), Just("payload"),
        Just("summary"), Just("severity"), Just("routing_key"), Just("event_action"), Just("dedup_key"), Just("message"),
        Just("alias"), Just("priority"), Just("tags"), Just("details"), Just("data"), Just("event"), Just("issue_id"),
        Just("metric_alert"), Just("action"), Just("Type"), Just("Message"), Just("title"), Just("version"), Just("startsAt")
    ]
    .prop_map(str::to_string);
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(keys.clone(), inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes(body in prop::collection::vec(any::<u8>(), 0..512)) {
        all_parsers(&body);
    }

    #[test]
    fn random_json(v in arb_json()) {
        all_parsers(v.to_string().as_bytes());
    }

    #[test]
    fn mutated_fixtures(i in 0..FIXTURES.len(), cut in any::<prop::sample::Index>(), flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8)) {
        let mut body = FIXTURES[i].as_bytes().to_vec();
        for (at, byte) in flips {
            let n = at.index(body.len());
            body[n] = byte;
        }
        all_parsers(&body);
        let n = cut.index(body.len() + 1);
        all_parsers(&body[..n]);
    }

    #[test]
    fn fixtures_with_values_replaced(i in 0..FIXTURES.len(), replacement in arb_json(), which in any::<prop::sample::Index>()) {
        let mut v: Value = serde_json::from_str(FIXTURES[i]).unwrap();
        replace_nth(&mut v, which.index(64), &replacement, &mut 0);
        all_parsers(v.to_string().as_bytes());
    }
}

/// Replaces the n-th value (depth-first) of a JSON tree.
fn replace_nth(v: &mut Value, n: usize, with: &Value, seen: &mut usize) -> bool {
    if *seen == n {
        *v = with.clone();
        return true;
    }
    *seen += 1;
    match v {
        Value::Array(items) => items.iter_mut().any(|x| replace_nth(x, n, with, seen)),
        Value::Object(map) => map.values_mut().any(|x| replace_nth(x, n, with, seen)),
        _ => false,
    }
}
