"""Verifies a Signet token with joserfc against the live JWKS, as a service would.

usage: python3 verify.py JWKS_URL ISSUER AUDIENCE TOKEN  -> prints the claims as JSON, exit 0
"""
import json
import sys
import urllib.request

from joserfc import jwt
from joserfc.jwk import KeySet

jwks_url, issuer, audience, token = sys.argv[1:5]
try:
    with urllib.request.urlopen(jwks_url, timeout=5) as res:
        keys = KeySet.import_key_set(json.load(res))
    decoded = jwt.decode(token, keys, algorithms=["ES256", "EdDSA", "PS256", "RS256"])
    if decoded.header.get("typ") != "at+jwt":
        raise ValueError("typ is not at+jwt")
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": audience},
        exp={"essential": True},
        jti={"essential": True},
    ).validate(decoded.claims)
    print(json.dumps({"header": decoded.header, "claims": decoded.claims}))
except Exception as e:  # any failure is a rejection
    print(f"rejected: {type(e).__name__}: {e}", file=sys.stderr)
    sys.exit(1)
