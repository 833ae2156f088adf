"""Reads a Web Push request as a browser and a push service would, with independent code:
Mozilla's http_ece (RFC 8188 aes128gcm, RFC 8291 key derivation) decrypts the body with the
subscription's private key and auth secret; the cryptography library checks the VAPID JWT
(RFC 8292, ES256) against the k= key. Input on stdin (JSON): body, private_key, auth (base64url),
authorization (the header), audience. Prints one JSON line: the payload and the JWT claims."""
import base64
import json
import sys

import http_ece
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


req = json.load(sys.stdin)
private = ec.derive_private_key(int.from_bytes(b64(req["private_key"]), "big"), ec.SECP256R1())
plain = http_ece.decrypt(b64(req["body"]), private_key=private, auth_secret=b64(req["auth"]), version="aes128gcm")

scheme, rest = req["authorization"].split(" ", 1)
assert scheme == "vapid", scheme
params = dict(p.strip().split("=", 1) for p in rest.split(","))
header, claims, sig = params["t"].split(".")
public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64(params["k"]))
raw = b64(sig)
assert len(raw) == 64, "ES256 signatures are r||s, 64 bytes"
der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
public.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))  # raises if invalid
claims = json.loads(b64(claims))
assert json.loads(b64(header))["alg"] == "ES256"
assert claims["aud"] == req["audience"], claims
print(json.dumps({"payload": json.loads(plain), "claims": claims, "k": params["k"]}))
