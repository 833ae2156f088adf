"""Drives Tocsin with PagerDuty's official Python client (pagerduty 7.x), as a PagerDuty user
would after changing only the Events API URL. Usage: pagerduty_events.py BASE_URL ROUTING_KEY
Prints one JSON line with what the client returned."""
import json
import sys

import pagerduty

base, key = sys.argv[1], sys.argv[2]
client = pagerduty.EventsApiV2Client(key)
client.url = base  # instead of https://events.pagerduty.com
out = {}
out["trigger_dedup_key"] = client.trigger(
    "Checkout 5xx above 5%", "prometheus-eu-1", dedup_key="pd-client-1", severity="critical",
    custom_details={"rate": "7.2%"}, links=[{"href": "https://grafana.example.com/d/checkout", "text": "Dashboard"}],
)
out["generated_dedup_key"] = client.trigger("Disk almost full", "db-1", severity="warning")
out["acknowledge"] = client.acknowledge("pd-client-1")
out["resolve"] = client.resolve("pd-client-1")
client.send_change_event(payload={"summary": "Deployed checkout v2.15.0", "source": "ci", "custom_details": {"sha": "9f3e2d1"}})
out["change_event"] = "sent"
print(json.dumps(out))
