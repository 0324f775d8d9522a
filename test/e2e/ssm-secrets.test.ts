/**
 * The cookie secret held in SSM Parameter Store (SECRETS_COOKIE_SSM_PARAMETER) instead of the environment: the
 * functions, in-process against DynamoDB Local, read it from a local server speaking Parameter Store's protocol at their
 * first invocation (a failed read is a 503 and is tried again), then seal and open browser sessions with it.
 */
import type { Context } from 'aws-lambda';
import { openSessionCookie } from '../../lib/session/cookie.js';
import { dynamoEndpoint, TEST_ENV } from '../support/env.js';
import { GOOD_PASSWORD, uniqueEmail } from '../support/http.js';
import { httpApiEvent, type EventOptions } from '../support/lambda-event.js';
import { useSsmParameters } from '../support/ssm.js';

const HELD = 'cookie-secret-held-in-parameter-store-only';
const BASE = 'https://id.example.com';
const ssm = useSsmParameters({ '/kratos/secrets-cookie': HELD }, () => ({ SECRETS_COOKIE_SSM_PARAMETER: '/kratos/secrets-cookie', DYNAMODB_ENDPOINT: dynamoEndpoint(), SERVE_PUBLIC_BASE_URL: BASE }), ['SECRETS_COOKIE', 'SECRETS_DEFAULT']);

/** A request as API Gateway hands it to the function, asking for JSON. */
const event = (method: string, path: string, options: EventOptions = {}) =>
  httpApiEvent(method, path, { ...options, headers: { accept: 'application/json', ...options.headers } }, { sourceIp: '203.0.113.7', userAgent: 'ssm-test' }) as never;

type Answer = { statusCode: number; body: string; cookies?: string[] };
const context = { awsRequestId: 'ssm-secrets' } as Context;
const pairOf = (cookie: string) => cookie.split(';')[0];

describe('SECRETS_COOKIE from SSM Parameter Store', () => {
  it('is read once, at the first invocation (a failed read is a 503, read again by the next), and seals and opens the session cookie', async () => {
    const init = (await import('../../functions/registration-browser-init.js')).handler;
    const submit = (await import('../../functions/registration-submit.js')).handler;
    const whoami = (await import('../../functions/whoami.js')).handler;

    ssm().failNext(3); // the SDK's three attempts
    const unavailable = (await init(event('GET', '/self-service/registration/browser'), context)) as Answer;
    expect(unavailable.statusCode).toBe(503);
    expect(JSON.parse(unavailable.body).error).toMatchObject({ code: 503, status: 'Service Unavailable' });
    expect(unavailable.cookies).toBeUndefined();

    const started = (await init(event('GET', '/self-service/registration/browser'), context)) as Answer;
    expect(started.statusCode).toBe(200);
    const flow = JSON.parse(started.body);
    const csrf = flow.ui.nodes.find((n: { attributes: { name: string } }) => n.attributes.name === 'csrf_token').attributes.value;
    const registered = (await submit(
      event('POST', '/self-service/registration', {
        query: { flow: flow.id },
        cookies: started.cookies!.map(pairOf),
        body: { method: 'password', csrf_token: csrf, password: GOOD_PASSWORD, traits: { email: uniqueEmail('ssm') } },
      }),
      context,
    )) as Answer;
    expect(registered.statusCode).toBe(200);
    const session = registered.cookies!.map(pairOf).find((c) => c.startsWith('ory_kratos_session='))!;

    // Sealed with the value held in Parameter Store, and with nothing else.
    const sealed = session.slice('ory_kratos_session='.length);
    expect(openSessionCookie(sealed, [HELD], new Date())).toMatch(/^ory_st_/);
    expect(openSessionCookie(sealed, [TEST_ENV.SECRETS_COOKIE], new Date())).toBeUndefined();

    const me = (await whoami(event('GET', '/sessions/whoami', { cookies: [session] }), context)) as Answer;
    expect(me.statusCode).toBe(200);
    expect(JSON.parse(me.body).identity.id).toBe(JSON.parse(registered.body).identity.id);

    // Three failed attempts, one read, decrypted; three functions of one process share that read.
    expect(ssm().requests).toEqual(Array.from({ length: 4 }, () => ({ name: '/kratos/secrets-cookie', withDecryption: true })));
  });
});
