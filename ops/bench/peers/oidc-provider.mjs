// The node oidc-provider peer of `ops/bin/bench peers`: client_credentials with JWT-format access tokens (resource
// indicators), ES256, 300 s lifetime, one worker per core (node cluster; the primary only forks and balances).
// usage: node oidc-provider.mjs PORT CLIENT_ID CLIENT_SECRET AUDIENCE
import cluster from 'node:cluster';
import os from 'node:os';

const [port, clientId, clientSecret, audience] = process.argv.slice(2);
if (!audience) {
  console.error('usage: node oidc-provider.mjs PORT CLIENT_ID CLIENT_SECRET AUDIENCE');
  process.exit(2);
}

if (cluster.isPrimary) {
  // One signing key for every worker, so that any token verifies against the one JWKS.
  const { generateKeyPair, exportJWK } = await import('jose');
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'bench-es256', alg: 'ES256', use: 'sig' };
  const workers = os.availableParallelism();
  for (let i = 0; i < workers; i++) cluster.fork({ BENCH_JWK: JSON.stringify(jwk) });
  cluster.on('exit', (w, code, signal) => {
    console.error(`oidc-provider worker ${w.process.pid} exited (${signal || code}); stopping`);
    process.exit(1);
  });
  const stop = () => { for (const w of Object.values(cluster.workers)) w.kill(); process.exit(0); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  const { default: Provider } = await import('oidc-provider');
  const provider = new Provider(`http://127.0.0.1:${port}`, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
    }],
    jwks: { keys: [JSON.parse(process.env.BENCH_JWK)] },
    cookies: { keys: [clientSecret] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => audience,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'read',
          audience,
          accessTokenTTL: 300,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
    ttl: { ClientCredentials: 300 },
  });
  provider.listen(Number(port), '127.0.0.1');
}
