# Summarises `jfr print --events jdk.CPUTimeSample --stack-depth 400` of a daemon serving token exchanges
# (ops/bench/exchange.sh --profile): each sample goes to the first step (in the order below) that a frame of its stack
# belongs to, split into the crypto (OpenSSL/JDK signature work) and the rest, so the rows add up to 100% of the
# daemon's sampled CPU; then the hottest leaf methods and a few frames' inclusive shares. -v us=CPU us per exchange.
function crypto(   i) {
  for (i = 1; i <= nf; i++) if (frames[i] ~ /^dev\.signet\.software\.|P256Verifier|^sun\.security\.ec\.|^sun\.security\.util\.math|EcdsaSignatures|^org\.bouncycastle\./) return " [crypto]"
  return ""
}
function step(   i) {
  for (i = 1; i <= nf; i++) if (frames[i] ~ /^jdk\.jfr\.|^jdk\.internal\.misc\.VM\.|Attach Listener/) return "JFR itself"
  for (i = 1; i <= nf; i++) if (frames[i] ~ /^dev\.signet\.audit\./ && frames[i] !~ /DurabilityWait/) return "audit (records, writer, fsync)"
  for (i = 1; i <= nf; i++) if (frames[i] ~ /Exchange\.actor$/) return "actor token (parse, check, thumbprint, replay)"
  for (i = 1; i <= nf; i++) if (frames[i] ~ /DpopVerifier\.check$/) return "DPoP proof (parse, check, thumbprint, replay)"
  for (i = 1; i <= nf; i++) if (frames[i] ~ /TokenVerifier\.verify$/) return "parent token (parse, check, claims)"
  for (i = 1; i <= nf; i++) if (frames[i] ~ /TokenIssuer\.issue$/) return "child token (build, sign, status index)"
  for (i = 1; i <= nf; i++) if (frames[i] ~ /^dev\.signet\.revocation\.|refuseRevoked/) return "status lists (revocation checks)"
  for (i = 1; i <= nf; i++) if (frames[i] ~ /Exchange\.exchange$/) return "exchange: the rest (policy, attenuation, form checks)"
  for (i = 1; i <= nf; i++) if (frames[i] ~ /TokenExchangeService\.form$/) return "form: read and decode the body"
  for (i = 1; i <= nf; i++) if (frames[i] ~ /TokenExchangeService/) return "response"
  for (i = 1; i <= nf; i++) if (frames[i] ~ /^dev\.signet\./) return "Signet other (access log, metrics, admission)"
  for (i = 1; i <= nf; i++) if (frames[i] ~ /SocketWriter|NioSocket|PlainSocket|SocketInputStream|SocketOutputStream|^sun\.nio\.ch\./) return "socket read/write"
  for (i = 1; i <= nf; i++) if (frames[i] ~ /^io\.helidon\./) return "Helidon HTTP (parse, route, metrics)"
  for (i = 1; i <= nf; i++) if (frames[i] ~ /VirtualThread|ForkJoin|Continuation/) return "virtual-thread scheduling"
  return "other (GC, JIT, idle threads)"
}
/^jdk\.CPUTimeSample/ { nf = 0; inst = 0; next }
/stackTrace = \[/ { inst = 1; next }
inst && /^ *\]/ {
  inst = 0; n++; a = step() crypto(); areas[a]++
  leaf = (nf > 0 ? frames[1] : "(no Java frame)"); leaves[leaf]++
  for (k in seen) delete seen[k]
  for (i = 1; i <= nf; i++) for (p in probes) if (!(p in seen) && frames[i] ~ probes[p]) { seen[p] = 1; incl[p]++ }
  next
}
inst { s = $0; sub(/^ +/, "", s); sub(/ line: [0-9]+$/, "", s); sub(/\(.*$/, "", s); frames[++nf] = s }
BEGIN {
  probes["JSON parsing (Nimbus JSONObjectUtils/gson)"] = "JSONObjectUtils\\.parse|JSONArrayUtils\\.parse|com\\.google\\.gson\\."
  probes["JWS parsing (JWSObject/SignedJWT.parse)"] = "JWSObject\\.parse|SignedJWT\\.parse|JWSObject\\.<init>"
  probes["JWK parsing (JWK/ECKey.parse)"] = "JWK\\.parse|ECKey\\.parse"
  probes["RFC 7638 thumbprints"] = "thumbprint|computeThumbprint|ThumbprintUtils"
  probes["base64url"] = "Base64URL|Base64Codec|java\\.util\\.Base64"
  probes["replay cache"] = "ReplayCache|ProofReplays"
  probes["form URL decoding"] = "URLDecoder"
  probes["access log and metrics"] = "SignetMetrics\\.|LogEvent"
  probes["exceptions built"] = "Throwable\\.fillInStackTrace|Throwable\\.<init>"
  probes["GC threads"] = "^GC |G1|ParallelGC"
}
END {
  if (n == 0) { print "   (no samples)"; exit }
  printf "   %d CPU-time samples; step: %% of samples (~ server CPU microseconds per exchange)\n", n
  cmd = "sort -t'\t' -k1,1nr"
  for (a in areas) printf "%d\t   %5.1f%%  %6.1f us  %s\n", areas[a], 100 * areas[a] / n, us * areas[a] / n, a | cmd
  close(cmd)
  print "   frames anywhere on the stack (inclusive, % of samples):"
  for (p in incl) printf "%d\t     %5.1f%%  %6.1f us  %s\n", incl[p], 100 * incl[p] / n, us * incl[p] / n, p | cmd
  close(cmd)
  print "   hottest leaf methods (% of samples):"
  cmd = "sort -t'\t' -k1,1nr | head -20"
  for (l in leaves) printf "%d\t     %5.1f%%  %s\n", leaves[l], 100 * leaves[l] / n, l | cmd
  close(cmd)
}
