import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../scripts/local-stack.js';

const event = (authorization?: string) =>
  ({
    version: '2.0',
    rawPath: '/admin/version',
    headers: authorization ? { authorization } : {},
    requestContext: { http: { method: 'GET', path: '/admin/version', sourceIp: '127.0.0.1' }, requestId: 'r' },
    isBase64Encoded: false,
  }) as unknown as APIGatewayProxyEventV2;

describe('the admin API fails closed', () => {
  it('refuses every request with a clear reason when no ADMIN_API_KEY is configured', async () => {
    delete process.env.ADMIN_API_KEY;
    const { handler } = await import('../../functions/admin-version.js');
    const res = await handler(event('Bearer anything-anything-anything'), {} as Context);
    expect(res.statusCode).toBe(403);
    expect(JSON.parse(res.body).error.reason).toBe('The admin API is disabled because no ADMIN_API_KEY is configured for this deployment.');
    const anonymous = await handler(event(), {} as Context);
    expect(anonymous.statusCode).toBe(403);
  });

  it('compares keys exactly', async () => {
    const { adminKeyMatches } = await import('../../lib/http/admin.js');
    const key = 'k'.repeat(32);
    expect(adminKeyMatches(`Bearer ${key}`, key)).toBe(true);
    expect(adminKeyMatches(`bearer ${key}`, key)).toBe(true);
    expect(adminKeyMatches(`Bearer ${key}x`, key)).toBe(false);
    expect(adminKeyMatches(`Bearer ${key.slice(1)}`, key)).toBe(false);
    expect(adminKeyMatches(key, key)).toBe(false);
    expect(adminKeyMatches(undefined, key)).toBe(false);
  });

  it('reports the package version', async () => {
    const { VERSION } = await import('../../lib/util/version.js');
    expect(VERSION).toBe(JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')).version);
  });
});

describe('the admin key from SSM Parameter Store', () => {
  const base = { region: 'eu-west-1' };

  it('prefers ADMIN_API_KEY, else reads the named parameter once', async () => {
    const { resolveAdminKey } = await import('../../lib/config/admin-key.js');
    const asked: string[] = [];
    const reader = { read: async (name: string) => (asked.push(name), 'ssm-held-admin-key-0123456789-abcdef') };
    await expect(resolveAdminKey({ ...base, apiKey: 'env-admin-key-0123456789-abcdefghij', apiKeySsmParameter: '/k' }, reader)).resolves.toBe(
      'env-admin-key-0123456789-abcdefghij',
    );
    expect(asked).toEqual([]);
    await expect(resolveAdminKey({ ...base, apiKeySsmParameter: '/kratos/admin-api-key' }, reader)).resolves.toBe('ssm-held-admin-key-0123456789-abcdef');
    expect(asked).toEqual(['/kratos/admin-api-key']);
  });

  it('keeps the admin API closed when the parameter is missing or too short to be a secret', async () => {
    const { resolveAdminKey } = await import('../../lib/config/admin-key.js');
    await expect(resolveAdminKey({ ...base, apiKeySsmParameter: '/k' }, { read: async () => undefined })).resolves.toBeUndefined();
    await expect(resolveAdminKey({ ...base, apiKeySsmParameter: '/k' }, { read: async () => 'short' })).resolves.toBeUndefined();
    await expect(resolveAdminKey(base)).resolves.toBeUndefined();
  });

  it('redacts the key in use from every log line, a key read from SSM included', async () => {
    const { resolveAdminKey } = await import('../../lib/config/admin-key.js');
    const { redact } = await import('../../lib/log/index.js');
    const key = `ssm-only-admin-key-${Date.now()}`;
    expect(redact(`bearer ${key} seen`)).toBe(`bearer ${key} seen`);
    await resolveAdminKey({ ...base, apiKeySsmParameter: '/kratos/admin-api-key' }, { read: async () => key });
    expect(redact(`bearer ${key} seen`)).toBe('bearer [REDACTED] seen');
  });
});
