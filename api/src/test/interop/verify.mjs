// Verifies a Signet token with node `jose` against the live JWKS, as a service would.
// usage: node verify.mjs JWKS_URL ISSUER AUDIENCE TOKEN  -> prints the claims as JSON, exit 0
import { createRemoteJWKSet, jwtVerify } from 'jose';

const [jwksUrl, issuer, audience, token] = process.argv.slice(2);
try {
  const jwks = createRemoteJWKSet(new URL(jwksUrl));
  const { payload, protectedHeader } = await jwtVerify(token, jwks, {
    issuer, audience, typ: 'at+jwt', algorithms: ['ES256', 'EdDSA', 'PS256', 'RS256'],
  });
  console.log(JSON.stringify({ header: protectedHeader, claims: payload }));
} catch (e) {
  console.error(`rejected: ${e.code ?? ''} ${e.message}`);
  process.exit(1);
}
