"""Drives Tocsin with Opsgenie's official Python SDK (opsgenie-sdk 2.x), as an Opsgenie user
would after changing only the API host. Usage: opsgenie_alerts.py BASE_URL API_KEY
Prints one JSON line with what the SDK returned."""
import json
import os
import sys

import opsgenie_sdk

base, key = sys.argv[1], sys.argv[2]
conf = opsgenie_sdk.configuration.Configuration()
conf.host = base  # instead of https://api.opsgenie.com
conf.api_key["Authorization"] = key
conf.retry_count = 1
if os.environ.get("TOCSIN_CA_FILE"):
    conf.ssl_ca_cert = os.environ["TOCSIN_CA_FILE"]  # the test instance's self-signed certificate
api = opsgenie_sdk.AlertApi(api_client=opsgenie_sdk.api_client.ApiClient(configuration=conf))

out = {}
created = api.create_alert(create_alert_payload=opsgenie_sdk.CreateAlertPayload(
    message="Payment gateway timeouts", alias="og-sdk-1", description="p99 above 3s for 5 minutes",
    priority="P2", source="opsgenie-sdk", tags=["payments", "env:prod"], details={"region": "eu-west-1"}))
out["create_result"] = created.result
out["create_request_id"] = created.request_id
status = api.get_request_status(request_id=created.request_id)
out["create_status"] = {"success": status.data.is_success, "action": status.data.action, "status": status.data.status,
                        "alert_id": status.data.alert_id, "alias": status.data.alias}
ack = api.acknowledge_alert(identifier="og-sdk-1", identifier_type="alias",
                            acknowledge_alert_payload=opsgenie_sdk.AcknowledgeAlertPayload(user="sdk", note="looking"))
out["ack_result"] = ack.result
close = api.close_alert(identifier=status.data.alert_id, identifier_type="id",
                        close_alert_payload=opsgenie_sdk.CloseAlertPayload(user="sdk", note="fixed"))
out["close_status"] = api.get_request_status(request_id=close.request_id).data.status
print(json.dumps(out))
