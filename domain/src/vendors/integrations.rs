//! What the integrations panel shows for a service: each endpoint's URL and a configuration
//! snippet with the URL and key filled in, ready to paste into the monitoring tool.

use crate::api::IntegrationEndpoint;

fn ep(vendor: &str, name: &str, url: String, snippet: String, help: &str) -> IntegrationEndpoint {
    IntegrationEndpoint { vendor: vendor.into(), name: name.into(), url, snippet, help: help.into() }
}

/// All endpoints of a service whose integration key is `key`, on the Tocsin at `base`.
pub fn endpoints(base: &str, key: &str) -> Vec<IntegrationEndpoint> {
    let base = base.trim_end_matches('/');
    let hook = |v: &str| format!("{base}/webhooks/{v}/{key}");
    vec![
        ep(
            "generic",
            "Generic JSON webhook",
            hook("generic"),
            format!(
                "curl -X POST '{}' \\\n  -H 'Content-Type: application/json' \\\n  -d '{{\"summary\":\"Disk almost full on db-1\",\"severity\":\"critical\",\"dedup_key\":\"db-1-disk\"}}'",
                hook("generic")
            ),
            "Any tool or script. Send \"status\":\"resolved\" with the same dedup_key to resolve.",
        ),
        ep(
            "alertmanager",
            "Prometheus Alertmanager",
            hook("alertmanager"),
            format!(
                "# alertmanager.yml\nreceivers:\n  - name: tocsin\n    webhook_configs:\n      - url: {}\n        send_resolved: true\n        max_alerts: 100\n# or keep a PagerDuty receiver and change only its URL:\n#   pagerduty_configs:\n#     - routing_key: {key}\n#       url: {base}/v2/enqueue",
                hook("alertmanager")
            ),
            "Each alert in a group becomes its own Tocsin alert, keyed by its fingerprint.",
        ),
        ep(
            "grafana",
            "Grafana alerting",
            hook("grafana"),
            format!(
                "Alerting → Contact points → New → Integration: Webhook\n  URL: {}\n  HTTP method: POST\n  Optional → Max alerts: 100\n  Optional → HMAC signature → Secret: the service's webhook secret\n    Signature header: X-Grafana-Alerting-Signature\n    Timestamp header: X-Grafana-Alerting-Signature-Timestamp (refuses replays)",
                hook("grafana")
            ),
            "When the service has a webhook secret, unsigned or wrongly signed requests are refused (401).",
        ),
        ep(
            "datadog",
            "Datadog",
            hook("datadog"),
            format!(
                "Integrations → Webhooks → New\n  URL: {}\n  Custom headers: {{\"X-Tocsin-Webhook-Secret\": \"<the service's webhook secret>\"}}\n  Payload:\n{}\nThen mention @webhook-tocsin in your monitors.",
                hook("datadog"),
                super::datadog::PAYLOAD_TEMPLATE
            ),
            "$AGGREG_KEY is the dedup key; a Recovered transition resolves.",
        ),
        ep(
            "cloudwatch",
            "Amazon CloudWatch (SNS)",
            hook("cloudwatch"),
            format!(
                "aws sns subscribe --topic-arn <your alarm topic ARN> --protocol https \\\n  --notification-endpoint '{}'",
                hook("cloudwatch")
            ),
            "Tocsin verifies SNS signatures and confirms the subscription; ALARM triggers, OK resolves.",
        ),
        ep(
            "sentry",
            "Sentry",
            hook("sentry"),
            format!(
                "Settings → Developer Settings → New Internal Integration\n  Webhook URL: {}\n  Alert Rule Action: on; Issue webhooks optional\n  Copy its Client Secret into the service's webhook secret.",
                hook("sentry")
            ),
            "Issue and metric alerts; signatures checked with the client secret; retries applied once.",
        ),
        ep(
            "pagerduty",
            "PagerDuty Events API v2",
            format!("{base}/v2/enqueue"),
            format!(
                "Routing key: {key}\nEvents URL: {base}/v2/enqueue   (change events: {base}/v2/change/enqueue)\n\ncurl -X POST '{base}/v2/enqueue' -H 'Content-Type: application/json' \\\n  -d '{{\"routing_key\":\"{key}\",\"event_action\":\"trigger\",\"payload\":{{\"summary\":\"DB down\",\"source\":\"db-1\",\"severity\":\"critical\"}}}}'"
            ),
            "Anything that sends to PagerDuty: change only the URL and use this routing key.",
        ),
        ep(
            "opsgenie",
            "Opsgenie Alert API",
            format!("{base}/v2/alerts"),
            format!(
                "API URL: {base}   (instead of https://api.opsgenie.com)\nHeader: Authorization: GenieKey {key}\n\ncurl -X POST '{base}/v2/alerts' -H 'Authorization: GenieKey {key}' \\\n  -H 'Content-Type: application/json' -d '{{\"message\":\"DB down\",\"alias\":\"db-1-down\",\"priority\":\"P1\"}}'"
            ),
            "Create, acknowledge and close alerts as with Opsgenie; alias is the dedup key.",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_carries_url_and_key() {
        let eps = endpoints("https://tocsin.example.com/", "abc123");
        assert_eq!(eps.len(), 8);
        for e in &eps {
            assert!(e.url.starts_with("https://tocsin.example.com/"), "{}", e.url);
            assert!(e.snippet.contains(&e.url) || e.snippet.contains("https://tocsin.example.com"), "{}", e.vendor);
        }
        assert!(eps.iter().find(|e| e.vendor == "pagerduty").unwrap().snippet.contains("Routing key: abc123"));
        assert!(eps.iter().find(|e| e.vendor == "alertmanager").unwrap().snippet.contains("send_resolved: true"));
    }
}
