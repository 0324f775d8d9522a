import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { loadAdminConfig } from '../../lib/config/admin.js';
import { adminFunction, createAdminAttempts } from '../../lib/http/admin.js';
import { createMemoryStore } from '../../lib/store/memory/index.js';
import { TEST_ENV } from '../support/env.js';

process.env.ADMIN_API_KEY = TEST_ENV.ADMIN_API_KEY;
process.env.LOG_LEVEL = 'silent';

const event = (sourceIp: string, authorization: string) =>
  ({
    version: '2.0',
    rawPath: '/admin/x',
    headers: { authorization },
    requestContext: { http: { method: 'GET', path: '/admin/x', sourceIp }, requestId: 'r' },
    isBase64Encoded: false,
  }) as unknown as APIGatewayProxyEventV2;

const RIGHT = `Bearer ${TEST_ENV.ADMIN_API_KEY}`;
const WRONG = 'Bearer wrong-wrong-wrong-wrong-wrong-wrong';

function adminRoute(perMinute = 20) {
  const store = createMemoryStore();
  const attempts = createAdminAttempts(store.throttle, perMinute);
  const handler = adminFunction({ route: '/admin/x', attempts: () => attempts }, async () => ({ status: 200, body: { ok: true } }));
  return { store, call: (ip: string, authorization: string) => handler(event(ip, authorization), {} as Context) };
}

describe('failed admin authentications per client address', () => {
  it('answers 401 twenty times in a minute, then 429 with Retry-After whatever key follows; other addresses go on', async () => {
    const { call } = adminRoute();
    expect((await call('198.51.100.1', RIGHT)).statusCode).toBe(200);
    for (let i = 0; i < 20; i++) expect((await call('198.51.100.1', WRONG)).statusCode).toBe(401);
    const refused = await call('198.51.100.1', WRONG);
    expect(refused.statusCode).toBe(429);
    const retryAfter = Number(refused.headers?.['Retry-After']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(JSON.parse(String(refused.body)).error).toMatchObject({ code: 429, details: { retry_after_seconds: retryAfter } });
    // Refused before the key is compared: the right key from there waits too, and guessing gets no answer.
    expect((await call('198.51.100.1', RIGHT)).statusCode).toBe(429);
    expect((await call('198.51.100.2', RIGHT)).statusCode).toBe(200);
    expect((await call('198.51.100.2', WRONG)).statusCode).toBe(401);
  });

  it('counts nothing with ADMIN_API_AUTH_FAILURES_PER_MINUTE=0, and counts under a digest of the address', async () => {
    const off = adminRoute(0);
    for (let i = 0; i < 30; i++) expect((await off.call('198.51.100.3', WRONG)).statusCode).toBe(401);
    expect(off.store.tables.counts.size).toBe(0);
    const on = adminRoute(5);
    await on.call('198.51.100.4', WRONG);
    expect([...on.store.tables.counts.keys()].join()).not.toContain('198.51.100.4');
    expect(on.store.tables.counts.size).toBe(1);
  });

  it('is configured with ADMIN_API_AUTH_FAILURES_PER_MINUTE, 20 by default', () => {
    expect(loadAdminConfig({}).authFailuresPerMinute).toBe(20);
    expect(loadAdminConfig({ ADMIN_API_AUTH_FAILURES_PER_MINUTE: '0' }).authFailuresPerMinute).toBe(0);
    expect(() => loadAdminConfig({ ADMIN_API_AUTH_FAILURES_PER_MINUTE: 'many' })).toThrow(/ADMIN_API_AUTH_FAILURES_PER_MINUTE must be a whole number/);
  });
});
