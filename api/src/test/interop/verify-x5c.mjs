// Verifies a delegated-mode Signet token with node `jose` AND checks that its signing key is rooted in
// a pinned master key: the JWK's x5c chain must be [subkey certificate, master certificate], the subkey
// certificate signed by the master, valid now, for the very key in the JWK, and the master's RFC 7638
// thumbprint must equal the pinned one (the backend key's kid, e.g. read once from `signet keys list`).
// usage: node verify-x5c.mjs JWKS_URL ISSUER AUDIENCE TOKEN PINNED_MASTER_KID
import { X509Certificate } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';

const [jwksUrl, issuer, audience, token, pinnedMaster] = process.argv.slice(2);
const fail = (why) => { console.error(`rejected: ${why}`); process.exit(1); };
try {
  const { kid } = decodeProtectedHeader(token);
  const jwks = await (await fetch(jwksUrl)).json();
  const jwk = jwks.keys.find((k) => k.kid === kid);
  if (!jwk) fail(`unknown kid ${kid}`);
  if (!Array.isArray(jwk.x5c) || jwk.x5c.length !== 2) fail('no x5c chain [subkey, master]');
  const [leaf, master] = jwk.x5c.map((c) => new X509Certificate(Buffer.from(c, 'base64')));
  if (await calculateJwkThumbprint(master.publicKey.export({ format: 'jwk' })) !== pinnedMaster) fail('chain not rooted in the pinned master key');
  if (!master.verify(master.publicKey)) fail('master certificate not self-signed by the master key');
  if (!leaf.verify(master.publicKey)) fail('subkey certificate not signed by the master key');
  const now = Date.now();
  if (now < Date.parse(leaf.validFrom) || now > Date.parse(leaf.validTo)) fail('subkey certificate not valid now');
  if (await calculateJwkThumbprint(leaf.publicKey.export({ format: 'jwk' })) !== await calculateJwkThumbprint(jwk)) fail('certificate is for another key');
  const { payload } = await jwtVerify(token, await importJWK(jwk, jwk.alg), { issuer, audience, typ: 'at+jwt' });
  console.log(JSON.stringify({ kid, master: pinnedMaster, claims: payload }));
} catch (e) {
  fail(`${e.code ?? ''} ${e.message}`);
}
