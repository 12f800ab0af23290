// A non-Java service walking a Signet chained credential (TOKEN~LINK1~...) link by link: node `jose` for the JWS
// and thumbprints, plus the few rules of verifier/README.md "Chained credentials" (hash of the previous element,
// signer = the previous cnf.jkt, depth cap, exp, narrowing under the resource grammar, the root's status entry,
// DPoP with ath over the whole chain).
// usage: node verify-chain.mjs VECTORS.json -> one line per case, exit 0 when every decision and reason matches
import { createLocalJWKSet, compactVerify, decodeProtectedHeader, importJWK, calculateJwkThumbprint, base64url } from 'jose';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';

const v = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const jwks = createLocalJWKSet(v.jwks);
const now = v.now;
const ALGS = ['ES256', 'EdDSA', 'PS256', 'RS256'];
const sha256 = (s) => base64url.encode(createHash('sha256').update(s, 'ascii').digest());
class Deny extends Error { constructor(reason, msg) { super(msg ?? reason); this.reason = reason; } }

// grammar/README.md: `*` one segment, a trailing `**` one or more, `**` alone every resource.
function split(p) {
  const i = p.indexOf(':');
  return { type: p.slice(0, i), rooted: p[i + 1] === '/', segs: p.slice(i + 1).replace(/^\//, '').split('/') };
}
function matches(pattern, res) {
  if (pattern === '**') return true;
  const p = split(pattern), r = split(res);
  if (p.type !== r.type || p.rooted !== r.rooted || r.segs.some((s) => s === '' || /^\.+$/.test(s) || /[%\\\s*]/.test(s))) return false;
  for (let i = 0; i < p.segs.length; i++) {
    if (p.segs[i] === '**') return r.segs.length > i;
    if (i >= r.segs.length || (p.segs[i] !== '*' && p.segs[i] !== r.segs[i])) return false;
  }
  return p.segs.length === r.segs.length;
}
function covers(a, b) { // every resource b matches, a matches
  if (a === '**') return true;
  if (b === '**') return false;
  const p = split(a), q = split(b);
  if (p.type !== q.type || p.rooted !== q.rooted) return false;
  const cov = (i, j) => {
    if (i === p.segs.length) return j === q.segs.length;
    if (p.segs[i] === '**') return j < q.segs.length;
    if (j === q.segs.length || q.segs[j] === '**') return false;
    if (p.segs[i] === '*' || p.segs[i] === q.segs[j]) return cov(i + 1, j + 1);
    return false;
  };
  return cov(0, 0);
}
const within = (parent, child) => child.every((c) => c.actions.every((a) =>
  parent.some((g) => covers(g.identifier, c.identifier) && g.actions.includes(a))));

async function verifyJws(jws, key, typ, what) {
  const header = decodeProtectedHeader(jws);
  if (header.typ !== typ) throw new Deny('wrong_typ', `${what} is not ${typ}`);
  if (!ALGS.includes(header.alg)) throw new Deny('unsupported_alg');
  try {
    const { payload } = await compactVerify(jws, key, { algorithms: ALGS });
    return { header, claims: JSON.parse(new TextDecoder().decode(payload)) };
  } catch (e) {
    throw new Deny(e.code === 'ERR_JWKS_NO_MATCHING_KEY' ? 'unknown_kid' : 'bad_signature', `${what}: ${e.message}`);
  }
}

async function revoked(root) {
  const sl = root.status?.status_list;
  if (!sl) return false;
  const body = v.status_lists[sl.uri];
  if (!body) throw new Deny('status_unavailable');
  const { claims } = await verifyJws(body, jwks, 'statuslist+jwt', 'the status list');
  if (claims.sub !== sl.uri || claims.exp <= now) throw new Deny('status_unavailable');
  const bits = inflateSync(Buffer.from(base64url.decode(claims.status_list.lst)));
  return ((bits[sl.idx >> 3] >> (sl.idx & 7)) & 1) === 1;
}

async function decide(c, seen) {
  const parts = c.token.split('~');
  if (parts.some((p) => p === '')) throw new Deny('malformed');
  if (parts.length > 6) throw new Deny('too_deep');
  const { claims: root } = await verifyJws(parts[0], jwks, 'at+jwt', 'the root');
  if (root.iss !== v.issuer) throw new Deny('wrong_issuer');
  if (!(root.exp > now)) throw new Deny('expired');
  let aud = Array.isArray(root.aud) ? root.aud[0] : root.aud;
  let jkt = root.cnf?.jkt, grants = root.authorization_details, exp = root.exp, depth = root.signet_depth ?? 0;
  const actors = [];
  for (let a = root.act; a; a = a.act) actors.push(a.sub);
  if (parts.length > 1 && (!jkt || !root.signet_max_depth)) throw new Deny('delegation_not_allowed');
  const cap = Math.min(5, root.signet_max_depth ?? 0);
  for (let i = 1; i < parts.length; i++) {
    const header = decodeProtectedHeader(parts[i]);
    if (header.typ !== 'signet-link+jwt') throw new Deny('wrong_typ', `link ${i}`);
    const unverified = JSON.parse(new TextDecoder().decode(base64url.decode(parts[i].split('.')[1])));
    if (unverified.signet_prev !== sha256(parts[i - 1])) throw new Deny('broken_chain', `link ${i}`);
    if (!header.jwk || await calculateJwkThumbprint(header.jwk) !== jkt) throw new Deny('wrong_signer', `link ${i}`);
    const { claims: l } = await verifyJws(parts[i], await importJWK(header.jwk, header.alg), 'signet-link+jwt', `link ${i}`);
    depth += 1;
    if (depth > cap) throw new Deny('too_deep', `link ${i}`);
    if (!l.jti || !l.iat || !l.exp) throw new Deny('bad_claims', `link ${i}`);
    if (l.exp > exp) throw new Deny('widened', `link ${i} outlives the one before`);
    if (!(l.exp > now)) throw new Deny('expired', `link ${i}`);
    if (l.iat > now) throw new Deny('not_yet_valid', `link ${i}`);
    if (l.aud !== undefined && l.aud !== aud) throw new Deny('widened', `link ${i} aud`); // audiences are exact URLs here
    if (l.authorization_details !== undefined && !within(grants, l.authorization_details)) throw new Deny('widened', `link ${i}`);
    if (!l.cnf?.jkt || !l.act?.sub) throw new Deny('bad_claims', `link ${i}`);
    aud = l.aud ?? aud; grants = l.authorization_details ?? grants; exp = l.exp; jkt = l.cnf.jkt;
    actors.unshift(l.act.sub);
  }
  if (aud !== v.audience) throw new Deny('wrong_audience');
  if (await revoked(root)) throw new Deny('revoked');
  const r = c.request;
  if (jkt) {
    if (!r.dpop) throw new Deny('dpop_required');
    const h = decodeProtectedHeader(r.dpop);
    if (h.typ !== 'dpop+jwt' || !h.jwk) throw new Deny('dpop_invalid');
    const { claims: p } = await verifyJws(r.dpop, await importJWK(h.jwk, h.alg), 'dpop+jwt', 'the proof');
    if (await calculateJwkThumbprint(h.jwk) !== jkt) throw new Deny('dpop_invalid', 'not the final holder\'s key');
    if (p.htm !== r.method) throw new Deny('dpop_htm');
    if (p.htu !== r.uri) throw new Deny('dpop_htu');
    if (Math.abs(now - p.iat) > 60) throw new Deny('dpop_iat');
    if (p.ath !== sha256(c.token)) throw new Deny('dpop_ath', 'ath is over the whole presented chain');
    if (seen.has(p.jti)) throw new Deny('dpop_replay');
    seen.add(p.jti);
  }
  const held = grants.filter((g) => g.type === 'signet_resource' && matches(g.identifier, r.resource));
  if (held.length === 0) throw new Deny('resource_not_granted');
  if (!held.some((g) => g.actions.includes(r.action))) throw new Deny('action_not_granted');
  return { actors, depth };
}

let failures = 0;
for (const c of v.cases) {
  const seen = new Set();
  let got;
  for (let n = 0; n < (c.request.repeat ?? 1); n++) {
    try {
      const ok = await decide(c, seen);
      got = { decision: 'allow', reason: 'ok', ...ok };
    } catch (e) {
      got = { decision: 'deny', reason: e.reason ?? `error: ${e.message}` };
    }
  }
  const e = c.expected;
  const same = got.decision === e.decision && got.reason === e.reason
    && (!e.actors || JSON.stringify(got.actors) === JSON.stringify(e.actors)) && (!e.depth || got.depth === e.depth);
  if (!same) failures++;
  console.log(`${same ? 'ok  ' : 'FAIL'} ${c.name}: ${got.decision} ${got.reason}${same ? '' : ` (expected ${e.decision} ${e.reason})`}`);
}
process.exit(failures === 0 ? 0 : 1);
