/**
 * Session tokenization (whoami's `tokenize_as`), in-process on the memory store: Kratos's claims, the Jsonnet claims
 * mapper, each key type, the published key set, rotation, expiry, Kratos's errors, the span event; and the
 * configuration's refusals, each naming the variable.
 */
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { SimpleSpanProcessor, TracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import { errors as joseErrors, createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { createHash, generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../lib/config/env.js';
import { checkConfig } from '../../lib/config/index.js';
import { goDurationString } from '../../lib/tracing/events.js';
import { wellKnownDocument } from '../../lib/session/well-known.js';
import { readLaunchSettings } from '../../scripts/launch-settings.js';
import { login, memoryApp, PASSWORD, register, rejection } from '../support/flows.js';

const BASE = 'http://127.0.0.1:4433';
const VARIABLE = 'SESSION_WHOAMI_TOKENIZER_TEMPLATES';

type Jwk = JsonWebKey & { kid?: string; alg?: string };
/** A fresh private JWK of each kind, with `alg` and `kid` as `ory create jwk` would write them. */
function privateJwk(alg: 'ES256' | 'RS256' | 'EdDSA', kid: string): Jwk {
  const pair =
    alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ed25519');
  return { ...pair.privateKey.export({ format: 'jwk' }), alg, kid };
}
const publicPart = ({ d, p, q, dp, dq, qi, ...rest }: Jwk): Jwk => rest; // eslint-disable-line @typescript-eslint/no-unused-vars
const b64 = (text: string) => `base64://${Buffer.from(text).toString('base64')}`;
const jwks = (...keys: Jwk[]) => b64(JSON.stringify({ keys }));
const templates = (value: unknown) => ({ [VARIABLE]: JSON.stringify(value) });

const ES = privateJwk('ES256', 'es-1');
const RS = privateJwk('RS256', 'rs-1');
const ED = privateJwk('EdDSA', 'ed-1');

async function signedIn(env: Record<string, string>) {
  const { app, config } = memoryApp(env);
  const { token, identityId } = await register(app);
  const now = new Date();
  const session = await app.sessionService.whoami(token, now);
  return { app, config, session, identityId, now };
}

const keySetOf = (config: ReturnType<typeof memoryApp>['config']) => wellKnownDocument('jwks.json', config.tokenizer, config.publicBaseUrl) as unknown as JSONWebKeySet;

describe('tokenize_as', () => {
  it.each([
    ['ES256', ES],
    ['RS256', RS],
    ['EdDSA', ED],
  ])('signs with the first key of the set (%s, its kid), Kratos’s claims, verified against the published keys', async (alg, key) => {
    const { app, config, session, identityId, now } = await signedIn(templates({ api: { ttl: '10m', jwks_url: jwks(key) } }));
    const token = await app.tokenizer.tokenize('api', session, now);
    expect(decodeProtectedHeader(token)).toEqual({ alg, typ: 'JWT', kid: key.kid });
    const { payload } = await jwtVerify(token, createLocalJWKSet(keySetOf(config)), { issuer: BASE, currentDate: now });
    const seconds = Math.floor(now.getTime() / 1000);
    expect(payload).toEqual({ jti: expect.stringMatching(/^[0-9a-f-]{36}$/), iss: BASE, exp: seconds + 600, sid: session.id, nbf: seconds, iat: seconds, sub: identityId });
    // Each token its own id.
    expect((await jwtVerify(await app.tokenizer.tokenize('api', session, now), createLocalJWKSet(keySetOf(config)), { currentDate: now })).payload.jti).not.toBe(payload.jti);
  });

  it('publishes every template’s public keys once, without their private members; the discovery document names them', async () => {
    const { config } = memoryApp(templates({ a: { ttl: '1m', jwks_url: jwks(ES, publicPart(RS)) }, b: { ttl: '1m', jwks_url: jwks(ED, publicPart(ES)) } }));
    const { keys } = keySetOf(config);
    expect(keys.map((k) => k.kid).sort()).toEqual(['ed-1', 'es-1', 'rs-1']);
    for (const key of keys) {
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(member);
      expect(key.use).toBe('sig');
    }
    expect(keys.find((k) => k.kid === 'es-1')).toEqual({ kty: 'EC', crv: 'P-256', x: ES.x, y: ES.y, kid: 'es-1', alg: 'ES256', use: 'sig' });
    expect(wellKnownDocument('openid-configuration', config.tokenizer, config.publicBaseUrl)).toEqual({
      issuer: BASE,
      jwks_uri: `${BASE}/.well-known/jwks.json`,
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256', 'EdDSA'],
    });
    expect(wellKnownDocument('other', config.tokenizer, config.publicBaseUrl)).toBeUndefined();
  });

  it('key rotation: a token signed by the old key still verifies once the new key signs and the old one is second', async () => {
    const old = privateJwk('ES256', 'old');
    const next = privateJwk('ES256', 'new');
    const before = await signedIn(templates({ api: { ttl: '10m', jwks_url: jwks(old) } }));
    const oldToken = await before.app.tokenizer.tokenize('api', before.session, before.now);
    // The rotation: the new key first (it signs), the old one kept, its public part only.
    const after = memoryApp(templates({ api: { ttl: '10m', jwks_url: jwks(next, publicPart(old)) } }));
    const session = await after.app.sessionService.whoami((await register(after.app)).token, before.now);
    const newToken = await after.app.tokenizer.tokenize('api', session, before.now);
    const published = createLocalJWKSet(keySetOf(after.config));
    expect(decodeProtectedHeader(newToken).kid).toBe('new');
    expect((await jwtVerify(oldToken, published, { currentDate: before.now })).payload.sid).toBe(before.session.id);
    expect((await jwtVerify(newToken, published, { currentDate: before.now })).payload.sid).toBe(session.id);
    // Once the old key is dropped, its tokens stop verifying.
    const dropped = memoryApp(templates({ api: { ttl: '10m', jwks_url: jwks(next) } }));
    expect(await rejection(jwtVerify(oldToken, createLocalJWKSet(keySetOf(dropped.config)), { currentDate: before.now }))).toBeInstanceOf(joseErrors.JWKSNoMatchingKey);
  });

  it('expires after the template’s ttl', async () => {
    const { app, config, session, now } = await signedIn(templates({ short: { ttl: '90s', jwks_url: jwks(ES) } }));
    const token = await app.tokenizer.tokenize('short', session, now);
    const keys = createLocalJWKSet(keySetOf(config));
    expect((await jwtVerify(token, keys, { currentDate: new Date(now.getTime() + 80_000) })).payload.sub).toBe(session.identityId);
    const expired = await rejection(jwtVerify(token, keys, { currentDate: new Date(now.getTime() + 91_000) }));
    expect(expired).toBeInstanceOf(joseErrors.JWTExpired);
  });

  it('runs the claims mapper: the session without credentials or admin metadata, the default claims; its claims merged over them, sub set again', async () => {
    const mapper = `
      local s = std.extVar('session');
      local c = std.extVar('claims');
      { claims: { aud: ['my-api'], email: s.identity.traits.email, aal: s.authenticator_assurance_level, sub: 'overridden',
                  iss_seen: c.iss, sid_seen: c.sid, exp: c.exp + 1, keys: std.objectFields(s.identity) } }`;
    const { app, config, session, identityId, now } = await signedIn(templates({ api: { ttl: '1m', jwks_url: jwks(ES), claims_mapper_url: b64(mapper) } }));
    const { payload } = await jwtVerify(await app.tokenizer.tokenize('api', session, now), createLocalJWKSet(keySetOf(config)), { audience: 'my-api', currentDate: now });
    expect(payload).toMatchObject({ aud: ['my-api'], email: session.identity.traits.email, aal: 'aal1', sub: identityId, iss_seen: BASE, sid_seen: session.id, iss: BASE, sid: session.id });
    expect(payload.exp).toBe(Math.floor(now.getTime() / 1000) + 61);
    expect(payload.keys).not.toContain('metadata_admin');
    expect(payload.keys).not.toContain('credentials');
    expect(payload.keys).toContain('traits');
  });

  it('takes the subject from the identity\'s external_id with subject_source external_id', async () => {
    const { app, config } = memoryApp(templates({ api: { ttl: '1m', jwks_url: jwks(ES), subject_source: 'external_id' } }));
    const email = `ext-${Date.now()}@example.com`;
    await app.identityAdmin.create({ schema_id: 'default', traits: { email }, external_id: 'crm-42', credentials: { password: { config: { password: PASSWORD } } } }, new Date());
    const token = ((await login(app, email)).body as { session_token: string }).session_token;
    const now = new Date();
    const session = await app.sessionService.whoami(token, now);
    const { payload } = await jwtVerify(await app.tokenizer.tokenize('api', session, now), createLocalJWKSet(keySetOf(config)), { currentDate: now });
    expect(payload.sub).toBe('crm-42');
  });

  it('reads a file:// mapper', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tokenizer-'));
    writeFileSync(path.join(dir, 'claims.jsonnet'), "{ claims: { role: 'member' } }");
    const { app, config, session, now } = await signedIn(templates({ api: { ttl: '1m', jwks_url: jwks(ED), claims_mapper_url: `file://${path.join(dir, 'claims.jsonnet')}` } }));
    expect((await jwtVerify(await app.tokenizer.tokenize('api', session, now), createLocalJWKSet(keySetOf(config)), { currentDate: now })).payload.role).toBe('member');
  });

  it.each([
    ['an unknown template', 'nope', {}, 'Unable to find tokenizer template "nope".'],
    ['a mapper that fails', 'api', { claims_mapper_url: b64("error 'no'") }, 'Unable to execute tokenizer JsonNet.'],
    ['a mapper that is not Jsonnet', 'api', { claims_mapper_url: b64('{ claims: ') }, 'Unable to execute tokenizer JsonNet.'],
    ['a mapper answering no claims object', 'api', { claims_mapper_url: b64('{ claims: [1] }') }, 'Expected tokenizer JsonNet to return a claims object but it did not.'],
    ['subject_source external_id, the identity having none', 'api', { subject_source: 'external_id' }, "The session's identity does not have an external ID set, but it is required for the subject claim."],
    ['a signing key without alg', 'api', { jwks_url: jwks({ ...ES, alg: undefined }) }, 'The JSON Web Key must include a valid "alg" parameter but "" was given.'],
    ['the inherited name "constructor"', 'constructor', {}, 'Unable to find tokenizer template "constructor".'],
  ])('%s: 400 with Kratos’s reason', async (_, name, over, reason) => {
    const { app, session, now } = await signedIn(templates({ api: { ttl: '1m', jwks_url: jwks(ES), ...over } }));
    const error = await rejection(app.tokenizer.tokenize(name, session, now));
    expect({ status: error.status, reason: error.reason }).toEqual({ status: 400, reason });
  });

  it('an http(s) mapper that cannot be fetched: 500 naming the template, and read again by the next request', async () => {
    const { app, session, now } = await signedIn(templates({ api: { ttl: '1m', jwks_url: jwks(ES), claims_mapper_url: 'http://127.0.0.1:9/claims.jsonnet' } }));
    for (let i = 0; i < 2; i++) {
      const error = await rejection(app.tokenizer.tokenize('api', session, now));
      expect({ status: error.status, reason: error.reason }).toEqual({ status: 500, reason: 'The claims mapper of tokenizer template "api" could not be read.' });
    }
  });

  it('records SessionTokenizedAsJWT on its span (ids and the ttl as Go prints it), never the token or a key', async () => {
    const exported: ReadableSpan[] = [];
    const exporter: SpanExporter = { export: (spans: ReadableSpan[], done: (r: ExportResult) => void) => (exported.push(...spans), done({ code: ExportResultCode.SUCCESS })), shutdown: () => Promise.resolve() };
    const manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    trace.setGlobalTracerProvider(provider);
    try {
      const { app, session, now } = await signedIn(templates({ api: { ttl: '15m', jwks_url: jwks(ES) } }));
      const token = await provider.getTracer('test').startActiveSpan('/sessions/whoami', async (root) => {
        try {
          return await app.tokenizer.tokenize('api', session, now);
        } finally {
          root.end();
        }
      });
      const span = exported.find((s) => s.name === 'sessions.ManagerHTTP.TokenizeSession')!;
      expect(span.parentSpanContext?.spanId ?? (span as unknown as { parentSpanId?: string }).parentSpanId).toBe(exported.find((s) => s.name === '/sessions/whoami')!.spanContext().spanId);
      expect(span.attributes).toEqual({ 'kratos.tokenizer.template': 'api' });
      expect(span.events.map((e) => [e.name, e.attributes])).toEqual([['SessionTokenizedAsJWT', { IdentityID: session.identityId, SessionID: session.id, TokenizedSessionTTL: '15m0s' }]]);
      const everything = JSON.stringify(exported.map((s) => [s.attributes, s.events]));
      expect(everything).not.toContain(token.split('.')[2]);
      expect(everything).not.toContain(ES.d);
    } finally {
      trace.disable();
      context.disable();
      manager.disable();
    }
  });

  it('prints durations as Go does', () => {
    expect(['1m', '15m', '1h', '90m', '1.5s', '500ms', '36h'].map((d) => goDurationString(({ m: 60_000, h: 3_600_000, s: 1000, ms: 1 } as Record<string, number>)[d.replace(/[\d.]/g, '')] * parseFloat(d)))).toEqual([
      '1m0s',
      '15m0s',
      '1h0m0s',
      '1h30m0s',
      '1.5s',
      '500ms',
      '36h0m0s',
    ]);
  });
});

describe(VARIABLE, () => {
  const refusal = (value: unknown, raw = false) => {
    try {
      checkConfig({ [VARIABLE]: raw ? String(value) : JSON.stringify(value) });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error('expected a ConfigError');
  };

  it('refuses what Kratos would choke on, or sign dead tokens with, naming the variable, the template and the field', () => {
    const ok = { ttl: '1m', jwks_url: jwks(ES) };
    expect(refusal('{not json', true)).toBe(`${VARIABLE} must be a JSON object of templates by name (Kratos's session.whoami.tokenizer.templates)`);
    expect(refusal([ok])).toMatch(/^SESSION_WHOAMI_TOKENIZER_TEMPLATES must be a JSON object/);
    expect(refusal({ api: { jwks_url: jwks(ES) } })).toMatch(/^SESSION_WHOAMI_TOKENIZER_TEMPLATES: template "api": ttl must be a duration/);
    expect(refusal({ api: { ...ok, ttl: 'soon' } })).toMatch(/template "api": ttl must be/);
    expect(refusal({ api: { ...ok, jwks_url: 'https://keys.example.com/jwks.json' } })).toMatch(/template "api": jwks_url must be a file:\/\/ or base64:\/\/ URL/);
    expect(refusal({ api: { ...ok, jwks_url: 'file:///nowhere/jwks.json' } })).toMatch(/template "api": jwks_url could not be read/);
    expect(refusal({ api: { ...ok, jwks_url: b64('nope') } })).toMatch(/template "api": jwks_url is not JSON/);
    expect(refusal({ api: { ...ok, jwks_url: jwks() } })).toMatch(/jwks_url must hold a JSON Web Key Set with at least one key/);
    expect(refusal({ api: { ...ok, jwks_url: jwks(publicPart(ES)) } })).toMatch(/key #0 signs the tokens: it must be a private key/);
    expect(refusal({ api: { ...ok, jwks_url: jwks({ ...ES, alg: 'HS256' }) } })).toMatch(/key #0 alg must be one of RS256, .*EdDSA, got "HS256"/);
    expect(refusal({ api: { ...ok, jwks_url: jwks({ ...ES, alg: 'RS256' }) } })).toMatch(/key #0 alg RS256 needs a RSA key/);
    expect(refusal({ api: { ...ok, jwks_url: jwks({ ...ES, d: privateJwk('ES256', 'other').d }) } })).toMatch(/key #0 is not a usable key/);
    expect(refusal({ api: { ...ok, jwks_url: jwks(ES, publicPart(ES)) } })).toMatch(/names key "es-1" twice/);
    expect(refusal({ a: ok, b: { ...ok, jwks_url: jwks({ ...RS, kid: 'es-1' }) } })).toMatch(/key "es-1" names two different keys/);
    expect(refusal({ api: { ...ok, subject_source: 'email' } })).toMatch(/subject_source must be id or external_id/);
    expect(refusal({ api: { ...ok, claims_mapper_url: "{claims: {}}" } })).toMatch(/claims_mapper_url must be a file:\/\/, base64:\/\/ or http\(s\):\/\/ URL/);
    expect(refusal({ api: { ...ok, audience: 'x' } })).toMatch(/template "api": audience is not a template key Kratos knows/);
  });

  it('stops npm start as it stops a cold start', () => {
    expect(() => readLaunchSettings({ [VARIABLE]: JSON.stringify({ api: { ttl: '1m', jwks_url: jwks(publicPart(ES)) } }) })).toThrow(`${VARIABLE}: template "api": jwks_url key #0 signs the tokens`);
    expect(() => readLaunchSettings({ [VARIABLE]: JSON.stringify({ api: { ttl: '1m', jwks_url: jwks(ES), claims_mapper_url: 'file://nowhere/claims.jsonnet' } }) })).toThrow(
      `${VARIABLE}: template "api": claims_mapper_url file://nowhere/claims.jsonnet names no file`,
    );
    expect(readLaunchSettings({ [VARIABLE]: JSON.stringify({ api: { ttl: '1m', jwks_url: jwks(ES), claims_mapper_url: 'file://package.json' } }) }).port).toBeGreaterThan(0);
  });

  it('never quotes key material in a refusal', () => {
    const message = refusal({ api: { ttl: '1m', jwks_url: jwks({ ...ES, d: RS.d }) } });
    expect(message).toMatch(/key #0 is not a usable key/);
    expect(message).not.toContain(RS.d!.slice(0, 10));
  });

  it('names keys without kid by their RFC 7638 thumbprint', () => {
    const { kid, ...unnamed } = ES; // eslint-disable-line @typescript-eslint/no-unused-vars
    const config = checkConfig({ [VARIABLE]: JSON.stringify({ api: { ttl: '1m', jwks_url: jwks(unnamed) } }) });
    // The thumbprint of an EC key is the SHA-256 of {"crv","kty","x","y"} in that order.
    const expected = createHash('sha256').update(JSON.stringify({ crv: ES.crv, kty: ES.kty, x: ES.x, y: ES.y })).digest('base64url');
    expect(config.tokenizer.templates.api.keys[0].kid).toBe(expected);
  });

  it('is a secret: may be held in Parameter Store, and the cold start then waits for it with no template', () => {
    expect(checkConfig({ [`${VARIABLE}_SSM_PARAMETER`]: '/kratos/tokenizer' }).tokenizer.templates).toEqual({});
    expect(() => checkConfig({ [VARIABLE]: JSON.stringify({}), [`${VARIABLE}_SSM_PARAMETER`]: '/kratos/tokenizer' })).toThrow(`${VARIABLE} and ${VARIABLE}_SSM_PARAMETER are both set`);
  });
});
