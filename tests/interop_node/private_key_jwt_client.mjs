// An outside client (not ours): openid-client authenticates with private_key_jwt (RFC 7523 §2.2)
// through discovery and gets a client-credentials token; jose verifies the token on the server's JWKS.
// Usage: node private_key_jwt_client.mjs ISSUER CLIENT_ID PRIVATE_JWK_JSON KID [dpop]
// With "dpop", every token request also carries openid-client's DPoP proof (RFC 9449), answering a
// use_dpop_nonce challenge itself, and jkt is the DPoP key's thumbprint.
// Prints one JSON object: the token response's fields, the verified claims, the discovered methods.
import * as client from 'openid-client'
import * as jose from 'jose'

const [issuer, clientId, privateJwkJson, kid, mode] = process.argv.slice(2)
const privateJwk = JSON.parse(privateJwkJson)
const key = await crypto.subtle.importKey('jwk', privateJwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign'])

const config = await client.discovery(
  new URL(issuer),
  clientId,
  undefined,
  client.PrivateKeyJwt({ key, kid }),
  { execute: [client.allowInsecureRequests] },
)
const metadata = config.serverMetadata()
let options
let jkt = null
if (mode === 'dpop') {
  const dpopKeys = await client.randomDPoPKeyPair('ES256')
  options = { DPoP: client.getDPoPHandle(config, dpopKeys) }
  jkt = await jose.calculateJwkThumbprint(await jose.exportJWK(dpopKeys.publicKey))
}
const tokens = await client.clientCredentialsGrant(config, { scope: 'api/access' }, options)
const jwks = jose.createRemoteJWKSet(new URL(metadata.jwks_uri))
const { payload, protectedHeader } = await jose.jwtVerify(tokens.access_token, jwks, { issuer })

let second = null
try {
  // A second grant signs a new assertion (a fresh jti): it is not a replay.
  second = (await client.clientCredentialsGrant(config, { scope: 'api/access' }, options)).token_type
} catch (error) {
  second = `error: ${error.error ?? error.message}`
}

process.stdout.write(JSON.stringify({
  token_type: tokens.token_type,
  scope: tokens.scope,
  claims: payload,
  alg: protectedHeader.alg,
  auth_methods: metadata.token_endpoint_auth_methods_supported,
  signing_algs: metadata.token_endpoint_auth_signing_alg_values_supported,
  second,
  jkt,
}))
