// The best-known peer for `make bench`: one node process running panva's oidc-provider,
// issuing RFC 9068 JWT access tokens signed with ES256 for the client credentials grant
// (client_secret_basic), configured as its docs describe (features.clientCredentials and
// features.resourceIndicators with a default resource whose access tokens are JWTs).
//
// Usage: node server.mjs --host 127.0.0.1 --port 8102 --client-id ID --client-secret SECRET
// Clients are static (in memory) and JWT access tokens are not stored, which is the peer's
// fastest configuration; nothing here is tuned beyond that.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const SCOPE = 'api/access';

const { values: args } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '8102' },
    'client-id': { type: 'string', default: 'bench-client' },
    'client-secret': { type: 'string', default: 'bench-secret' },
  },
});

const issuer = `http://${args.host}:${args.port}`;
const resource = `${issuer}/api`;
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'bench-es256', alg: 'ES256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: args['client-id'],
      client_secret: args['client-secret'],
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: SCOPE,
    },
  ],
  // The only key is ES256, so every signed artefact defaults to it.
  clientDefaults: { id_token_signed_response_alg: 'ES256' },
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  scopes: [SCOPE],
  routes: { token: '/oauth2/token' },
  ttl: { ClientCredentials: 3600 },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: SCOPE,
        audience: resource,
        accessTokenTTL: 3600,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
});
provider.proxy = false;

const server = provider.listen(Number(args.port), args.host, () => {
  process.stdout.write(`oidc-provider listening on ${issuer}\n`);
});

function shutdown() {
  server.close(() => process.exit(0));
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
