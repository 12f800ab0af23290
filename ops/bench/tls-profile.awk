# Summarises `jfr print --events jdk.CPUTimeSample --stack-depth 400` of one daemon (ops/bench/tls.sh --profile):
# each sample is put in the first area (in the order below) that any frame of its stack belongs to, so the areas
# add up to 100% of the daemon's sampled CPU; then the hottest leaf methods. -v us=CPU microseconds per request.
# Below TLS read/write frame i: the record crypto, the socket system calls, or JSSE's and Helidon's buffer work.
function part(i,   f) {
  for (f = 1; f < i; f++) if (frames[f] ~ /^com\.sun\.crypto\.provider\.|^javax\.crypto\.|^sun\.security\.ssl\.SSLCipher/) return "record encryption (AES-GCM)"
  for (f = 1; f < i; f++) if (frames[f] ~ /^sun\.nio\.ch\.|VirtualThread|Continuation/) return "socket system calls and polling"
  return "record layer and buffers"
}
function area(   i, f) {
  for (i = 1; i <= nf; i++) if (frames[i] ~ /^jdk\.jfr\.|^jdk\.internal\.misc\.VM\.|Attach Listener/) return "JFR itself (not a request's)"
  for (i = 1; i <= nf; i++) if (frames[i] ~ /TlsNioSocket\.doHandshake|SSLSocketImpl\.startHandshake|sun\.security\.ssl\.(ClientHello|ServerHello|CertificateVerify|Finished)/) return "TLS handshakes (reconnects)"
  for (i = 1; i <= nf; i++) if (frames[i] ~ /TlsNioSocket\.(tlsPeer|renegotiated|remotePeer)|PeerInfoImpl|SSLPeerUnverifiedException|ServingTls\.identify|TlsSockets\.peer/) return "TLS peer-certificate lookup (per request)"
  for (i = 1; i <= nf; i++) if (frames[i] ~ /TlsNioSocket\.(write|doWrite|wrapAndSend)|SSLSocketImpl\$AppOutputStream/) return "TLS write: " part(i)
  for (i = 1; i <= nf; i++) if (frames[i] ~ /TlsNioSocket\.(get|read|doRead|receiveAndUnwrap)|SSLSocketImpl\$AppInputStream/) return "TLS read: " part(i)
  for (i = 1; i <= nf; i++) if (frames[i] ~ /^sun\.security\.ssl\./) return "TLS other (JSSE)"
  for (i = 1; i <= nf; i++) if (frames[i] ~ /SocketWriter|NioSocket\.write|PlainSocket\.write|NioSocketImpl\.write|SocketOutputStream/) return "socket write (plain)"
  for (i = 1; i <= nf; i++) if (frames[i] ~ /NioSocket\.(read|get)|PlainSocket\.(read|get)|IdleInputStream|NioSocketImpl\.read|SocketInputStream/) return "socket read (plain)"
  for (i = 1; i <= nf; i++) if (frames[i] ~ /^dev\.signet\.software\.|^sun\.security\.ec\.|^org\.bouncycastle\.|InMemorySigning/) return "signing (ES256)"
  for (i = 1; i <= nf; i++) if (frames[i] ~ /^dev\.signet\./) return "Signet request handling (auth, issuance, audit, JSON)"
  for (i = 1; i <= nf; i++) if (frames[i] ~ /^io\.helidon\./) return "Helidon HTTP (parse, route, metrics)"
  for (i = 1; i <= nf; i++) if (frames[i] ~ /VirtualThread|ForkJoin|Continuation/) return "virtual-thread scheduling"
  return "other (GC, JIT, idle threads)"
}
/^jdk\.CPUTimeSample/ { nf = 0; inst = 0; next }
/stackTrace = \[/ { inst = 1; next }
inst && /^ *\]/ {
  inst = 0; n++; a = area(); areas[a]++
  leaf = (nf > 0 ? frames[1] : "(no Java frame)"); leaves[leaf]++
  next
}
inst { s = $0; sub(/^ +/, "", s); sub(/ line: [0-9]+$/, "", s); sub(/\(.*$/, "", s); frames[++nf] = s }
END {
  if (n == 0) { print "   (no samples)"; exit }
  printf "   %d CPU-time samples; area: %% of samples (~ server CPU microseconds per request)\n", n
  cmd = "sort -t'\t' -k1,1nr"
  for (a in areas) printf "%d\t   %5.1f%%  %6.1f us  %s\n", areas[a], 100 * areas[a] / n, us * areas[a] / n, a | cmd
  close(cmd)
  print "   hottest leaf methods (% of samples):"
  cmd = "sort -t'\t' -k1,1nr | head -15"
  for (l in leaves) printf "%d\t     %5.1f%%  %s\n", leaves[l], 100 * leaves[l] / n, l | cmd
  close(cmd)
}
