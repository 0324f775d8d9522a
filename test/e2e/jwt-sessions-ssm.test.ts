/**
 * The session tokenizer's templates held in SSM Parameter Store (SESSION_WHOAMI_TOKENIZER_TEMPLATES_SSM_PARAMETER), the
 * signing key inline: the functions, in-process against DynamoDB Local, read it from a local server speaking Parameter
 * Store's protocol at their first invocation (a failed read is a 503, read again by the next), then whoami signs with
 * the key held there and /.well-known publishes its public part.
 */
import type { Context } from 'aws-lambda';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { generateKeyPairSync } from 'node:crypto';
import { dynamoEndpoint } from '../support/env.js';
import { GOOD_PASSWORD, uniqueEmail } from '../support/http.js';
import { httpApiEvent, type EventOptions } from '../support/lambda-event.js';
import { useSsmParameters } from '../support/ssm.js';

const BASE = 'https://id.example.com';
const KEY = { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), kid: 'held-in-ssm', alg: 'ES256' };
const TEMPLATES = JSON.stringify({ api: { ttl: '5m', jwks_url: `base64://${Buffer.from(JSON.stringify({ keys: [KEY] })).toString('base64')}` } });
const ssm = useSsmParameters({ '/kratos/tokenizer-templates': TEMPLATES }, () => ({ SESSION_WHOAMI_TOKENIZER_TEMPLATES_SSM_PARAMETER: '/kratos/tokenizer-templates', DYNAMODB_ENDPOINT: dynamoEndpoint(), SERVE_PUBLIC_BASE_URL: BASE }), ['SESSION_WHOAMI_TOKENIZER_TEMPLATES']);

/** A request as API Gateway hands it to the function, asking for JSON. */
const event = (method: string, path: string, options: EventOptions = {}) =>
  httpApiEvent(method, path, { ...options, headers: { accept: 'application/json', ...options.headers } }, { sourceIp: '203.0.113.8', userAgent: 'ssm-test' }) as never;

type Answer = { statusCode: number; body: string };
const context = { awsRequestId: 'jwt-sessions-ssm' } as Context;

it('reads the templates once, at the first invocation (a failed read is a 503), then signs and publishes with the key held there', async () => {
  const wellKnown = (await import('../../functions/well-known.js')).handler;
  const init = (await import('../../functions/registration-init.js')).handler;
  const submit = (await import('../../functions/registration-submit.js')).handler;
  const whoami = (await import('../../functions/whoami.js')).handler;
  const jwksEvent = () => event('GET', '/.well-known/jwks.json', { params: { document: 'jwks.json' } });

  ssm().failNext(3); // the SDK's three attempts
  const unavailable = (await wellKnown(jwksEvent(), context)) as Answer;
  expect(unavailable.statusCode).toBe(503);
  expect(JSON.parse(unavailable.body).error).toMatchObject({ code: 503 });

  const published = (await wellKnown(jwksEvent(), context)) as Answer;
  expect(published.statusCode).toBe(200);
  const keySet = JSON.parse(published.body) as JSONWebKeySet;
  expect(keySet.keys).toEqual([{ kty: 'EC', crv: 'P-256', x: KEY.x, y: KEY.y, kid: 'held-in-ssm', alg: 'ES256', use: 'sig' }]);

  const flow = JSON.parse(((await init(event('GET', '/self-service/registration/api'), context)) as Answer).body);
  const registered = JSON.parse(((await submit(event('POST', '/self-service/registration', { query: { flow: flow.id }, body: { method: 'password', password: GOOD_PASSWORD, traits: { email: uniqueEmail('jwt-ssm') } } }), context)) as Answer).body);
  const me = (await whoami(event('GET', '/sessions/whoami', { query: { tokenize_as: 'api' }, headers: { 'x-session-token': registered.session_token } }), context)) as Answer;
  expect(me.statusCode).toBe(200);
  const { payload } = await jwtVerify(JSON.parse(me.body).tokenized, createLocalJWKSet(keySet), { issuer: BASE });
  expect(payload.sub).toBe(registered.identity.id);

  // Three failed attempts, then one read, decrypted, shared by every function of the process.
  expect(ssm().requests).toEqual(Array.from({ length: 4 }, () => ({ name: '/kratos/tokenizer-templates', withDecryption: true })));
});
