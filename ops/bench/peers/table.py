#!/usr/bin/env python3
"""The table of `ops/bin/bench peers`: reads the rows peers.sh wrote (tab-separated, one system a line) on stdin and
prints one Markdown table, then Signet's ratios to each peer per server CPU-second against issue 18's targets.
Row: name, tokens, seconds, CPU-s (processes), CPU-s (machine - generator), p50, p99, max (ms, saturation),
slowest/mean connection, other responses, half-saturation tokens/s, p50, p99, max (ms), RSS MiB, start-up ms,
per-connection pace (req/s); or name and NOT VERIFIED. `table.py --self-test` checks this file on a fixed input."""
import sys

LABELS = {
    "signet-delegated": "Signet delegated (ES256 subkeys, software master)",
    "signet-direct": "Signet direct (ES256, software backend)",
    "keycloak": "Keycloak 26.7.3, production mode",
    "oidc-provider": "node oidc-provider 9.13.3, a worker per core",
}
TARGETS = {"keycloak": 20.0, "oidc-provider": 5.0}   # Signet per server CPU-second >= this many times the peer


def per_cpu(tokens, cpu):
    return tokens / cpu if cpu > 0 else float("nan")


def parse(lines):
    rows = []
    for line in lines:
        f = line.rstrip("\n").split("\t")
        if not f or not f[0]:
            continue
        if len(f) == 2:
            rows.append({"name": f[0], "verified": False})
            continue
        n, d, proc, mach = int(f[1]), float(f[2]), float(f[3]), float(f[4])
        rows.append({
            "name": f[0], "verified": True, "tps": n / d, "proc": per_cpu(n, proc), "mach": per_cpu(n, mach),
            "cores": proc / d, "sat": f"{f[5]} / {f[6]} / {f[7]}", "spread": f[8], "other": int(f[9]),
            "half": f"{f[10]}/s: {f[11]} / {f[12]} / {f[13]}", "rss": f[14], "up": f[15],
        })
    return rows


def render(rows):
    out = ["| system | tokens/s | server cores busy (processes) | tokens per server CPU-s: processes | machine - generator "
           "| p50 / p99 / max at saturation (ms) | slowest / mean connection | half saturation: achieved, p50 / p99 / max (ms) "
           "| RSS MiB | start-up to first token (ms) |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        label = LABELS.get(r["name"], r["name"])
        if not r["verified"]:
            out.append(f"| {label} | tokens NOT VERIFIED against its JWKS: not counted |||||||||")
            continue
        other = f" ({r['other']} not 2xx)" if r["other"] else ""
        out.append(f"| {label} | {r['tps']:,.0f}{other} | {r['cores']:.2f} | {r['proc']:,.0f} | {r['mach']:,.0f} "
                   f"| {r['sat']} | {r['spread']} | {r['half']} | {r['rss']} | {r['up']} |")
    by = {r["name"]: r for r in rows if r["verified"]}
    ratios = []
    for s in ("signet-delegated", "signet-direct"):
        for p, target in TARGETS.items():
            if s in by and p in by:
                a, b = by[s], by[p]
                rp, rm = a["proc"] / b["proc"], a["mach"] / b["mach"]
                verdict = "met" if min(rp, rm) >= target else ("met by one count" if max(rp, rm) >= target else "MISSED")
                ratios.append(f"{LABELS[s].split(' (')[0]} / {p}, tokens per server CPU-second: {rp:.1f}x (processes), "
                              f"{rm:.1f}x (machine - generator); target >= {target:.0f}x: {verdict}")
    if ratios:
        out.append("")
        out.extend(ratios)
    return "\n".join(out)


def self_test():
    rows = parse([
        "signet-delegated\t200000\t20.0\t30.0\t36.0\t0.5\t9.0\t80\t0.80\t0\t5000\t0.3\t2.0\t30\t420\t1500\t156.25\n",
        "keycloak\t16000\t20.0\t32.0\t36.0\t30\t90\t900\t0.95\t3\t400\t5\t20\t300\t900\t15000\t12.50\n",
        "oidc-provider\tNOT VERIFIED\n",
    ])
    text = render(rows)
    assert "| 10,000 | 1.50 | 6,667 | 5,556 |" in text, text
    assert "| 800 (3 not 2xx) | 1.60 | 500 | 444 |" in text, text
    assert "NOT VERIFIED" in text, text
    assert "Signet delegated / keycloak, tokens per server CPU-second: 13.3x (processes), 12.5x (machine - generator); " \
           "target >= 20x: MISSED" in text, text
    assert "oidc-provider, tokens per" not in text, text   # an unverified peer gets no ratio
    print("table.py self-test: 1 passed, 0 failed")


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        self_test()
    else:
        print(render(parse(sys.stdin)))
