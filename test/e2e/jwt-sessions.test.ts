/**
 * Session JWTs over the wire (serverless-offline with its own tokenizer templates, the official SDK): whoami's
 * `tokenize_as`, verified with jose against the keys we publish at /.well-known/jwks.json, found the way API Gateway's
 * JWT authorizer finds them (the issuer's /.well-known/openid-configuration); key rotation, expiry, Kratos's errors; and
 * the example route behind the authorizer (locally serverless-offline checks iss, aud and exp; the signature is
 * checked here, as API Gateway checks it).
 */
import { Configuration, FrontendApi } from '@ory/kratos-client';
import { createRemoteJWKSet, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import { generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import path from 'node:path';
import { freePort } from '../../scripts/dynamodb-local.js';
import { startOffline, type RunningOffline } from '../../scripts/local-stack.js';
import { dynamoEndpoint, OFFLINE_LOG_LEVEL, suiteCourierEnv, TEST_ENV } from '../support/env.js';
import { failure, registerVia } from '../support/http.js';
import { expectMatchesSchema } from '../support/openapi.js';

const AUDIENCE = 'kratos-session';
const rsa = (kid: string): JsonWebKey & { kid: string; alg: string } => ({ ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), kid, alg: 'RS256' });
const publicPart = ({ d, p, q, dp, dq, qi, ...rest }: JsonWebKey) => rest; // eslint-disable-line @typescript-eslint/no-unused-vars
const b64 = (text: string) => `base64://${Buffer.from(text).toString('base64')}`;
const jwks = (...keys: JsonWebKey[]) => b64(JSON.stringify({ keys }));

// The key that signed until the rotation, and the one that signs since (the old one kept published, public part only).
const OLD = rsa('2026-01');
const NEW = rsa('2026-12');
const ED = { ...generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }), kid: 'ed', alg: 'EdDSA' };
const MAPPER = b64(`{ claims: { aud: '${AUDIENCE}', email: std.extVar('session').identity.traits.email } }`);

let offline: RunningOffline;
let base: string;
let frontend: FrontendApi;

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  offline = await startOffline({
    port,
    logFile: process.env.TEST_ARTIFACTS_DIR ? path.join(process.env.TEST_ARTIFACTS_DIR, 'offline-jwt-sessions.log') : undefined,
    env: {
      ...TEST_ENV,
      ...suiteCourierEnv(),
      LOG_LEVEL: OFFLINE_LOG_LEVEL,
      DYNAMODB_ENDPOINT: dynamoEndpoint(),
      SERVE_PUBLIC_BASE_URL: base,
      JWT_AUTHORIZER_AUDIENCE: AUDIENCE,
      SESSION_WHOAMI_TOKENIZER_TEMPLATES: JSON.stringify({
        api: { ttl: '10m', jwks_url: jwks(NEW, publicPart(OLD)), claims_mapper_url: MAPPER },
        // What signed before the rotation (here still configured, to have a token it signed).
        before_rotation: { ttl: '10m', jwks_url: jwks(OLD), claims_mapper_url: MAPPER },
        // Not for API Gateway (which verifies RSA only), nor for this audience.
        edge: { ttl: '1m', jwks_url: jwks(ED) },
      }),
    },
  });
  frontend = new FrontendApi(new Configuration({ basePath: base }));
}, 120_000);
afterAll(() => offline?.stop());

async function signedIn() {
  const registered = await registerVia(base);
  expect(registered.status).toBe(200);
  return registered;
}

describe('GET /sessions/whoami?tokenize_as=', () => {
  it('answers the session with `tokenized`, a JWT verified against the published keys, found as API Gateway finds them', async () => {
    const { token, identityId } = await signedIn();
    const { data: session } = await frontend.toSession({ xSessionToken: token, tokenizeAs: 'api' });
    expectMatchesSchema('session', session);
    expect(session.tokenized).toEqual(expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/));
    const discovery = (await (await fetch(`${base}/.well-known/openid-configuration`)).json()) as { issuer: string; jwks_uri: string };
    expect(discovery).toMatchObject({ issuer: base, jwks_uri: `${base}/.well-known/jwks.json` });
    const { payload, protectedHeader } = await jwtVerify(session.tokenized!, createRemoteJWKSet(new URL(discovery.jwks_uri)), { issuer: base, audience: AUDIENCE, algorithms: ['RS256'] });
    expect(protectedHeader).toEqual({ alg: 'RS256', typ: 'JWT', kid: NEW.kid });
    expect(payload).toEqual({
      jti: expect.any(String),
      iss: base,
      aud: AUDIENCE,
      sub: identityId,
      sid: session.id,
      iat: expect.any(Number),
      nbf: payload.iat,
      exp: payload.iat! + 600,
      email: session.identity!.traits.email,
    });
    // Plain whoami is unchanged: no `tokenized`.
    expect((await frontend.toSession({ xSessionToken: token })).data).not.toHaveProperty('tokenized');
  });

  it('publishes every template’s public keys with their kid, never a private member', async () => {
    const res = await fetch(`${base}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    const { keys } = (await res.json()) as { keys: Record<string, unknown>[] };
    expect(keys.map((k) => k.kid).sort()).toEqual([OLD.kid, NEW.kid, ED.kid].sort());
    for (const key of keys) for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(member);
    expect((await fetch(`${base}/.well-known/nothing`)).status).toBe(404);
  });

  it('key rotation: a token signed by the old key (now second in the set) still verifies beside the new key’s', async () => {
    const { token } = await signedIn();
    const keys = createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`));
    const old = (await frontend.toSession({ xSessionToken: token, tokenizeAs: 'before_rotation' })).data.tokenized!;
    const current = (await frontend.toSession({ xSessionToken: token, tokenizeAs: 'api' })).data.tokenized!;
    expect([decodeProtectedHeader(old).kid, decodeProtectedHeader(current).kid]).toEqual([OLD.kid, NEW.kid]);
    for (const jwt of [old, current]) expect((await jwtVerify(jwt, keys, { issuer: base, audience: AUDIENCE })).payload.sub).toEqual(expect.any(String));
  });

  it('expires after its ttl; an EdDSA token verifies too', async () => {
    const { token } = await signedIn();
    const jwt = (await frontend.toSession({ xSessionToken: token, tokenizeAs: 'edge' })).data.tokenized!;
    const keys = createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(jwt, keys, { issuer: base });
    expect(payload.exp! - payload.iat!).toBe(60);
    await expect(jwtVerify(jwt, keys, { issuer: base, currentDate: new Date((payload.exp! + 1) * 1000) })).rejects.toBeInstanceOf(joseErrors.JWTExpired);
  });

  it('an unknown template: 400 with Kratos’s reason; without a session: 401 before any template is looked at', async () => {
    const { token } = await signedIn();
    const unknown = await failure(frontend.toSession({ xSessionToken: token, tokenizeAs: 'nope' }));
    expect(unknown.status).toBe(400);
    expectMatchesSchema('errorGeneric', unknown.data);
    expect(unknown.data.error).toMatchObject({ code: 400, status: 'Bad Request', reason: 'Unable to find tokenizer template "nope".' });
    expect((await failure(frontend.toSession({ tokenizeAs: 'api' }))).status).toBe(401);
  });
});

describe('the JWT authorizer’s example route', () => {
  it('passes the verified claims to the function; refuses a missing token or one for another audience', async () => {
    const { token, identityId } = await signedIn();
    const jwt = (await frontend.toSession({ xSessionToken: token, tokenizeAs: 'api' })).data.tokenized!;
    const ok = await fetch(`${base}/example/session-claims`, { headers: { authorization: `Bearer ${jwt}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ subject: identityId, claims: { sub: identityId, iss: base, aud: AUDIENCE } });
    expect((await fetch(`${base}/example/session-claims`)).status).toBe(401);
    const other = (await frontend.toSession({ xSessionToken: token, tokenizeAs: 'edge' })).data.tokenized!;
    expect((await fetch(`${base}/example/session-claims`, { headers: { authorization: `Bearer ${other}` } })).status).toBe(401);
  });
});
