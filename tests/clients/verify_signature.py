"""Verifies a Tocsin generic webhook the way the README tells receivers to, with Python's
standard library only. Usage: verify_signature.py SECRET < request.json, where request.json is
{"header": "<Tocsin-Signature value>", "body": "<raw body>"}. Prints {"valid": true|false}."""
import hashlib
import hmac
import json
import sys
import time

secret = sys.argv[1].encode()
req = json.load(sys.stdin)
parts = dict(p.split("=", 1) for p in req["header"].split(","))
timestamp, signatures = parts["t"], [v for k, v in (p.split("=", 1) for p in req["header"].split(",")) if k == "v1"]
expected = hmac.new(secret, f"{timestamp}.".encode() + req["body"].encode(), hashlib.sha256).hexdigest()
fresh = abs(time.time() - int(timestamp)) < 300
print(json.dumps({"valid": fresh and any(hmac.compare_digest(expected, s) for s in signatures)}))
