// openid-client (DPoP, RFC 9449) gets a DPoP-bound token from Tokensmith by client credentials,
// node jose verifies it against the published JWKS and checks cnf.jkt, and the token is used on a
// protected resource with a proof. Prints one JSON object; exits non-zero on any failure.
import * as client from 'openid-client';
import * as jose from 'jose';

const [issuer, clientId, clientSecret, resource] = process.argv.slice(2);
const config = await client.discovery(new URL(issuer), clientId, clientSecret, undefined, {
  execute: [client.allowInsecureRequests],
});
const keyPair = await client.randomDPoPKeyPair('ES256');
const DPoP = client.getDPoPHandle(config, keyPair);
const tokens = await client.clientCredentialsGrant(config, { scope: 'api/access' }, { DPoP });

const jwks = jose.createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri));
const { payload, protectedHeader } = await jose.jwtVerify(tokens.access_token, jwks, {
  issuer,
  audience: issuer,
  typ: 'at+jwt',
});
const jkt = await jose.calculateJwkThumbprint(await jose.exportJWK(keyPair.publicKey));

const response = await client.fetchProtectedResource(
  config, tokens.access_token, new URL(resource), 'GET', undefined, undefined, { DPoP },
);
const stolen = await fetch(resource, { headers: { authorization: `Bearer ${tokens.access_token}` } });

console.log(JSON.stringify({
  token_type: tokens.token_type,
  alg: protectedHeader.alg,
  cnf: payload.cnf,
  jkt,
  resource_status: response.status,
  resource_body: await response.json(),
  bearer_status: stolen.status,
  dpop_algs: config.serverMetadata().dpop_signing_alg_values_supported,
}));
