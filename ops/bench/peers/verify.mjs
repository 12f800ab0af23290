// Verifies tokens against their issuer's own JWKS with jose before `ops/bin/bench peers` counts that system's
// figures: ES256 signature by a key of the JWKS, and a lifetime (exp - iat) of exactly LIFETIME seconds.
// usage: node verify.mjs JWKS_URL LIFETIME TOKEN...   prints one line; exits 1 on any failure
import { createLocalJWKSet, jwtVerify } from 'jose';

const [jwksUrl, lifetime, ...tokens] = process.argv.slice(2);
if (!tokens.length) {
  console.error('usage: node verify.mjs JWKS_URL LIFETIME TOKEN...');
  process.exit(2);
}
try {
  const res = await fetch(jwksUrl);
  if (!res.ok) throw new Error(`JWKS ${jwksUrl}: HTTP ${res.status}`);
  const jwks = createLocalJWKSet(await res.json());
  const kids = new Set();
  for (const token of tokens) {
    const { payload, protectedHeader } = await jwtVerify(token, jwks, { algorithms: ['ES256'] });
    if (payload.exp - payload.iat !== Number(lifetime)) {
      throw new Error(`lifetime ${payload.exp - payload.iat} s, not ${lifetime} s`);
    }
    kids.add(protectedHeader.kid);
  }
  console.log(`${tokens.length} tokens verified against ${jwksUrl}: ES256, kid ${[...kids].join(',')}, lifetime ${lifetime} s`);
} catch (e) {
  console.log(`NOT VERIFIED: ${e.message}`);
  process.exit(1);
}
