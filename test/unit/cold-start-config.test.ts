import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { ConfigError } from '../../lib/config/index.js';

const event = (method: string, rawPath: string) =>
  ({
    version: '2.0',
    rawPath,
    headers: { 'x-request-id': 'req-1' },
    requestContext: { http: { method, path: rawPath, sourceIp: '127.0.0.1' }, requestId: 'r' },
    isBase64Encoded: false,
  }) as unknown as APIGatewayProxyEventV2;

describe('a bad configuration value at cold start', () => {
  afterEach(() => {
    delete process.env.AWS_LAMBDA_RUNTIME_API;
    delete process.env.HASHERS_BCRYPT_COST;
    delete process.env.ADMIN_API_KEY;
  });

  it("fails loading the function in Lambda's runtime, naming the variable (Lambda reports the init error)", async () => {
    process.env.AWS_LAMBDA_RUNTIME_API = '127.0.0.1:9001';
    process.env.HASHERS_BCRYPT_COST = 'twelve';
    await expect(import('../../functions/whoami.js')).rejects.toThrow(ConfigError);
    await expect(import('../../functions/login-init.js')).rejects.toThrow('HASHERS_BCRYPT_COST');
  });

  it('elsewhere loads the function, which answers every request 500 in Kratos’s envelope, never a stack trace', async () => {
    process.env.HASHERS_BCRYPT_COST = 'twelve';
    const { handler } = await import('../../functions/login-submit.js');
    const res = await handler(event('POST', '/self-service/login'), {} as Context);
    expect(res).toEqual({
      statusCode: 500,
      headers: { 'X-Request-ID': 'req-1', 'Content-Type': 'application/json; charset=utf-8' },
      body: JSON.stringify({
        error: { code: 500, status: 'Internal Server Error', request: 'req-1', message: 'An internal server error occurred, please contact the system administrator' },
      }),
    });
  });

  it('in the admin key only stops the admin functions, never the public ones', async () => {
    process.env.AWS_LAMBDA_RUNTIME_API = '127.0.0.1:9001';
    process.env.ADMIN_API_KEY = 'short';
    await expect(import('../../functions/health-alive.js')).resolves.toHaveProperty('handler');
    await expect(import('../../functions/admin-version.js')).rejects.toThrow('ADMIN_API_KEY must be at least 32 characters');
  });
});
