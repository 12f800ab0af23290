#!/usr/bin/env python3
"""cpu-layers.py RECORDING.jfr [JFR_BINARY]: where a request's CPU goes, by layer, from JFR CPU-time samples.

Each jdk.CPUTimeSample (JDK 25, Linux: the thread's CPU time, kernel time included) is put in the layer of the
innermost frame of its stack that names one (the signature's own frames before the token builder that calls them,
the socket's system call before the Helidon response that makes it; Helidon's header and buffer classes count to
the layer that called them). Samples of threads that serve no request
(the audit writer, pollers, JFR) are a layer of their own. Only Java threads are sampled: GC and JIT are not in it.
"""
import collections
import json
import subprocess
import sys

# (layer, substrings of a frame "package/Class.method"), matched from the innermost frame outwards
LAYERS = [
    ("signature (OpenSSL via FFM)", ["dev/signet/software/openssl/", "dev/signet/software/InMemorySigning"]),
    ("socket write (system call)", ["sun/nio/ch/SocketDispatcher.write", "sun/nio/ch/IOUtil.write"]),
    ("socket read (system call)", ["sun/nio/ch/SocketDispatcher.read", "sun/nio/ch/IOUtil.read"]),
    ("body read + JSON parse (RequestBodies)", ["dev/signet/api/RequestBodies.jsonObject", "dev/signet/api/RequestBodies.parseObject"]),
    ("credential check (Minters, bearer)", ["dev/signet/issuance/Minters.authenticate", "dev/signet/issuance/CredentialHash",
                                            "dev/signet/api/RequestBodies.bearer"]),
    ("status list (allocate, check)", ["dev/signet/revocation/"]),
    ("audit record (event, trail)", ["dev/signet/audit/AuditEvent", "dev/signet/api/ObservedAuditTrail", "dev/signet/audit/AuditLog"]),
    ("metrics (Micrometer via Helidon)", ["dev/signet/api/SignetMetrics", "io/micrometer/", "io/helidon/metrics/"]),
    ("jti randomness (DRBG)", ["java/security/SecureRandom", "sun/security/provider/AbstractDrbg", "sun/security/provider/HashDrbg",
                                "sun/security/provider/DRBG"]),
    ("claims + JWS text (TokenIssuer)", ["dev/signet/issuance/TokenIssuer.issue"]),
    ("the rest of issuance (request parse, policy, grammar)", ["dev/signet/issuance/", "dev/signet/grammar/"]),
    ("response body (TokenService)", ["dev/signet/api/TokenService"]),
    ("access log, request id, admission", ["dev/signet/api/AccessLog", "dev/signet/api/RequestId", "dev/signet/api/Admission", "dev/signet/audit/DurabilityWait"]),
    ("Helidon routing + filter chain", ["io/helidon/webserver/http/HttpRoutingImpl", "io/helidon/webserver/http/Filters",
                                        "io/helidon/webserver/http/RouteCrawler", "io/helidon/webserver/http/ErrorHandlers",
                                        "io/helidon/webserver/http/PathMatchers", "io/helidon/webserver/http/HttpRouteImpl",
                                        "io/helidon/common/uri/"]),
    ("Helidon response (headers, buffers)", ["io/helidon/webserver/http1/Http1ServerResponse"]),
    ("Helidon request line + headers", ["io/helidon/webserver/http1/Http1Prologue", "io/helidon/webserver/http1/Http1Headers", "io/helidon/http/Http1HeadersParser"]),
    ("Helidon connection, routing, filters (the rest of a request)", ["io/helidon/webserver/http1/Http1Connection.handle"]),
]


def main():
    jfr = sys.argv[2] if len(sys.argv) > 2 else "jfr"
    out = subprocess.run([jfr, "print", "--json", "--stack-depth", "256", "--events", "jdk.CPUTimeSample", sys.argv[1]],
                         check=True, capture_output=True, text=True).stdout
    events = json.loads(out)["recording"]["events"]
    counts = collections.Counter()
    for e in events:
        st = e["values"].get("stackTrace")
        frames = [f["method"]["type"]["name"] + "." + f["method"]["name"] for f in (st or {}).get("frames", [])]
        layer = "threads that serve no request (audit writer, pollers, JFR, ...)"
        for f in frames:
            hit = next((name for name, subs in LAYERS if any(s in f for s in subs)), None)
            if hit:
                layer = hit
                break
        counts[layer] += 1
    total = sum(counts.values())
    print("CPU-time samples: %d (Java threads; GC and JIT are not sampled)" % total)
    for layer, n in counts.most_common():
        print("  %5.1f%%  %s" % (100.0 * n / max(total, 1), layer))


if __name__ == "__main__":
    main()
