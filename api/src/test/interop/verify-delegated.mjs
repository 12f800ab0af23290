// A non-Java service checking a delegated, bound Signet token: node `jose` plus a few lines for DPoP (RFC 9449)
// and for Signet's resource patterns (grammar/README.md: `*` one segment, a trailing `**` one or more).
// usage: node verify-delegated.mjs JWKS_URL ISSUER AUDIENCE TOKEN DPOP_PROOF METHOD URL RESOURCE ACTION
//   -> prints {"sub", "actors", "depth", "client_id"} and exits 0 when allowed; exits 1 with the reason otherwise
import { createRemoteJWKSet, jwtVerify, decodeProtectedHeader, importJWK, calculateJwkThumbprint, base64url } from 'jose';
import { createHash } from 'node:crypto';

const [jwksUrl, issuer, audience, token, proof, method, url, resource, action] = process.argv.slice(2);

function covers(pattern, res) {
  if (pattern === '**') return true;
  const [ptype, ppath] = [pattern.slice(0, pattern.indexOf(':')), pattern.slice(pattern.indexOf(':') + 1)];
  const [rtype, rpath] = [res.slice(0, res.indexOf(':')), res.slice(res.indexOf(':') + 1)];
  if (ptype !== rtype || ppath.startsWith('/') !== rpath.startsWith('/')) return false;
  const p = ppath.replace(/^\//, '').split('/'), r = rpath.replace(/^\//, '').split('/');
  if (r.some((s) => s === '' || /^\.+$/.test(s) || /[%\\\s]/.test(s))) return false;
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '**') return r.length > i;
    if (i >= r.length || (p[i] !== '*' && p[i] !== r[i])) return false;
  }
  return p.length === r.length;
}

try {
  const { payload: claims } = await jwtVerify(token, createRemoteJWKSet(new URL(jwksUrl)), {
    issuer, audience, typ: 'at+jwt', algorithms: ['ES256', 'EdDSA', 'PS256', 'RS256'],
  });
  if (claims.cnf?.jkt) {
    const header = decodeProtectedHeader(proof);
    if (header.typ !== 'dpop+jwt' || !header.jwk) throw new Error('dpop_invalid: not a DPoP proof');
    const { payload: p } = await jwtVerify(proof, await importJWK(header.jwk, header.alg), { typ: 'dpop+jwt' });
    if (await calculateJwkThumbprint(header.jwk) !== claims.cnf.jkt) throw new Error('dpop_invalid: not the bound key');
    if (p.htm !== method || p.htu !== url) throw new Error('dpop_htm/htu: another request');
    if (Math.abs(Date.now() / 1000 - p.iat) > 60) throw new Error('dpop_iat: stale proof');
    if (p.ath !== base64url.encode(createHash('sha256').update(token).digest())) throw new Error('dpop_ath: another token');
  }
  const ok = claims.authorization_details.some((d) => d.type === 'signet_resource'
    && covers(d.identifier, resource) && d.actions.includes(action));
  if (!ok) throw new Error(`not granted: ${action} on ${resource}`);
  const actors = [];
  for (let a = claims.act; a; a = a.act) actors.push(a.sub);
  console.log(JSON.stringify({ sub: claims.sub, actors, depth: claims.signet_depth ?? 0, client_id: claims.client_id }));
} catch (e) {
  console.error(`denied: ${e.code ?? ''} ${e.message}`);
  process.exit(1);
}
