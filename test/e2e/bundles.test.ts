/**
 * The deployable bundles, as `npm run package` builds them, each loaded alone: copied into an empty folder (no
 * node_modules anywhere above it, nothing beside it but the tracing SDK's file), required by a fresh Node process, invoked with an API
 * Gateway v2 event against DynamoDB Local, tracing to the Jaeger agent receiver (Thrift compact).
 */
import { httpApiEvent, type EventOptions } from '../support/lambda-event.js';
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../scripts/local-stack.js';
import { BUNDLE_DIR, buildBundles, EXPORTERS_BUNDLE_FILE, FILES_APART_NAMES, functionNames, VALIDATOR_BUNDLE_FILE, JSONNET_BUNDLE_FILE, packageIdentitySchemas, TOTP_QR_BUNDLE_FILE, SAMPLER_BUNDLE_FILE, SDK_BUNDLE_FILE, TOKENIZER_BUNDLE_FILE, WEBAUTHN_BUNDLE_FILE, type BundleInfo } from '../../scripts/package.js';
import { PASSKEY_POLICY } from '../../lib/webauthn/ceremony.js';
import { OTEL_API_GLOBAL_KEY } from '../../lib/tracing/shared-api.js';
import { assert, createCredential } from '../support/authenticator.js';
import { dynamoEndpoint, SCHEMA_ENV, suiteCourierEnv, TEST_ENV } from '../support/env.js';
import { GOOD_PASSWORD, uniqueEmail } from '../support/http.js';
import { startSsmServer } from '../support/ssm.js';
import { startJaegerUdpReceiver, startOtlpHttpReceiver, type UdpSpanReceiver } from '../support/trace-receivers.js';

let udp: UdpSpanReceiver;
let bundles: BundleInfo[];
const dirs: string[] = [];

/** A file apart, copied alone into a folder of its own and required from there (nothing of the project beside it). */
function requireAlone(file: string) {
  const dir = mkdtempSync(path.join(tmpdir(), 'kratos-apart-'));
  dirs.push(dir);
  cpSync(path.join(BUNDLE_DIR, file), path.join(dir, file));
  return createRequire(import.meta.url)(path.join(dir, file));
}

beforeAll(async () => {
  udp = await startJaegerUdpReceiver();
  bundles = await buildBundles();
}, 120_000);
afterAll(async () => {
  await udp.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const HARNESS = `
const { handler } = require(process.argv[1]);
handler(JSON.parse(process.argv[2]), { awsRequestId: 'bundle-' + Date.now(), functionName: 'bundle' })
  .then((result) => process.stdout.write('RESULT ' + JSON.stringify(result) + '\\n'))
  .catch((error) => { process.stderr.write(String(error && error.stack)); process.exit(1); });
`;

/** Copies one bundle into a fresh folder outside the project: the command that invokes it there. */
function aloneCommand(name: string, event: Record<string, unknown>, env: Record<string, string>, withSdk: boolean, beside: string[]) {
  const dir = mkdtempSync(path.join(tmpdir(), `kratos-bundle-${name}-`));
  dirs.push(dir);
  cpSync(path.join(BUNDLE_DIR, `${name}.cjs`), path.join(dir, `${name}.cjs`));
  // Every file apart, as in every zip (but the tracing SDK's when the test says so).
  for (const file of FILES_APART_NAMES) if (withSdk || file !== SDK_BUNDLE_FILE) cpSync(path.join(BUNDLE_DIR, file), path.join(dir, file));
  for (const file of beside) cpSync(file, path.join(dir, path.basename(file)));
  return {
    args: ['-e', HARNESS, path.join(dir, `${name}.cjs`), JSON.stringify(event)],
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      ...TEST_ENV,
      DYNAMODB_ENDPOINT: dynamoEndpoint(),
      SERVE_PUBLIC_BASE_URL: 'https://id.example.com',
      TRACING_PROVIDER: 'jaeger',
      TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS: `127.0.0.1:${udp.port}`,
      SELFSERVICE_FLOWS_RECOVERY_ENABLED: 'true',
      SELFSERVICE_FLOWS_VERIFICATION_ENABLED: 'true',
      AWS_LAMBDA_FUNCTION_NAME: name,
      ...env,
    },
  };
}

/** Invokes one bundle alone (aloneCommand); stderr is kept. */
function invokeAlone(name: string, event: Record<string, unknown>, env: Record<string, string> = {}, withSdk = true, beside: string[] = []) {
  const { args, ...options } = aloneCommand(name, event, env, withSdk, beside);
  return answerOf(name, spawnSync(process.execPath, args, { ...options, encoding: 'utf8', timeout: 30_000 }));
}

/** The same, without blocking this process: for a bundle that talks to a server this process runs. */
async function invokeAloneAsync(name: string, event: Record<string, unknown>, env: Record<string, string> = {}) {
  const { args, ...options } = aloneCommand(name, event, env, true, []);
  const child = spawn(process.execPath, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const status = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return answerOf(name, { status, stdout, stderr });
}

function answerOf(name: string, run: { status: number | null; stdout: string; stderr: string }) {
  if (run.status !== 0) throw new Error(`${name} failed: ${run.stdout}${run.stderr}`);
  // The function's own log lines share stdout; the answer is the harness's RESULT line.
  const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`${name} gave no answer:\n${run.stdout}\n${run.stderr}`);
  const result = JSON.parse(line.slice('RESULT '.length)) as { statusCode: number; headers: Record<string, string>; body: string };
  const isJson = /json/.test(result.headers?.['Content-Type'] ?? '');
  return { ...result, json: result.body && isJson ? JSON.parse(result.body) : undefined, output: run.stdout + run.stderr };
}

function v2(method: string, route: string, options: EventOptions = {}) {
  return httpApiEvent(method, route, options, { sourceIp: '203.0.113.9', userAgent: 'bundle-test' });
}

/** An event as API Gateway passes it on behind a JWT authorizer: the verified token's claims in the request context. */
function withClaims(event: ReturnType<typeof v2>, claims: Record<string, unknown>) {
  return { ...event, requestContext: { ...event.requestContext, authorizer: { jwt: { claims, scopes: null } } } };
}

/** Functions of ours with no tracing: the health checks (as Kratos), and the authorizer's example (a customer's code). */
const UNTRACED_FUNCTION = (name: string, route: string) => /health/.test(route) || name === 'jwt-example';

const admin = { authorization: `Bearer ${TEST_ENV.ADMIN_API_KEY}` };
const unknown = '00000000-0000-4000-8000-000000000000';
const EXAMPLE_CLAIMS = { sub: unknown, sid: unknown, iss: 'https://id.example.com', aud: 'kratos-session' };

const idParams = { params: { id: unknown }, path: `/admin/x/${unknown}` };

/** The functions that are not HTTP endpoints, each with the test below that invokes its bundle. */
const NOT_HTTP = ['courier'];

/** Every function: the event it gets and the answer it must give on its own. */
const CASES: Record<string, [ReturnType<typeof v2>, number]> = {
  'health-alive': [v2('GET', '/health/alive'), 200],
  'health-ready': [v2('GET', '/health/ready'), 200],
  'registration-init': [v2('GET', '/self-service/registration/api'), 200],
  'registration-flow': [v2('GET', '/self-service/registration/flows', { query: { id: unknown } }), 404],
  'registration-submit': [v2('POST', '/self-service/registration', { body: { method: 'password' } }), 400],
  'login-init': [v2('GET', '/self-service/login/api'), 200],
  'login-flow': [v2('GET', '/self-service/login/flows', { query: { id: unknown } }), 404],
  'login-submit': [v2('POST', '/self-service/login', { body: { method: 'password' } }), 400],
  whoami: [v2('GET', '/sessions/whoami'), 401],
  logout: [v2('DELETE', '/self-service/logout/api', { body: { session_token: 'ory_st_nope' } }), 403],
  'settings-init': [v2('GET', '/self-service/settings/api'), 401],
  'settings-flow': [v2('GET', '/self-service/settings/flows', { query: { id: unknown } }), 401],
  'settings-submit': [v2('POST', '/self-service/settings', { query: { flow: unknown }, body: { method: 'password', password: 'x' } }), 401],
  'registration-browser-init': [v2('GET', '/self-service/registration/browser'), 303],
  'login-browser-init': [v2('GET', '/self-service/login/browser'), 303],
  'settings-browser-init': [v2('GET', '/self-service/settings/browser'), 303],
  'logout-browser-init': [v2('GET', '/self-service/logout/browser', { headers: { accept: 'application/json' } }), 401],
  'logout-browser-submit': [v2('GET', '/self-service/logout', { headers: { accept: 'application/json' } }), 400],
  'self-service-errors': [v2('GET', '/self-service/errors', { query: { id: 'stub:500' } }), 200],
  'schemas-list': [v2('GET', '/schemas'), 200],
  'well-known': [v2('GET', '/.well-known/{document}', { params: { document: 'jwks.json' }, path: '/.well-known/jwks.json' }), 200],
  // What API Gateway's JWT authorizer hands the route once it has verified a token (serverless.yml, kratosSession).
  'jwt-example': [withClaims(v2('GET', '/example/session-claims'), EXAMPLE_CLAIMS), 200],
  'schema-get': [v2('GET', '/schemas/{id}', { params: { id: 'ZGVmYXVsdA' }, path: '/schemas/ZGVmYXVsdA' }), 200],
  'recovery-init': [v2('GET', '/self-service/recovery/api'), 200],
  'recovery-browser-init': [v2('GET', '/self-service/recovery/browser'), 303],
  'recovery-flow': [v2('GET', '/self-service/recovery/flows', { query: { id: unknown } }), 404],
  'recovery-submit': [v2('POST', '/self-service/recovery', { query: { flow: unknown }, body: { method: 'code', email: 'nobody@example.com' } }), 404],
  'recovery-link': [v2('GET', '/self-service/recovery', { query: { flow: unknown } }), 303],
  'session-token-exchange': [v2('GET', '/sessions/token-exchange', { query: { init_code: 'x', return_to_code: 'y' } }), 404],
  'sessions-list': [v2('GET', '/sessions'), 401],
  version: [v2('GET', '/version'), 200],
  'ui-sessions': [v2('POST', '/ui/sessions', { body: { all: 'true' } }), 400],
  'sessions-delete': [v2('DELETE', '/sessions'), 401],
  'session-delete': [v2('DELETE', '/sessions/{id}', { params: { id: unknown }, path: `/sessions/${unknown}` }), 401],
  // Social sign-in is off here: its callback is not found (as Kratos's), the bundle loaded alone all the same.
  'oidc-callback': [v2('GET', '/self-service/methods/oidc/callback/{provider}', { params: { provider: 'google' }, path: '/self-service/methods/oidc/callback/google' }), 404],
  'verification-init': [v2('GET', '/self-service/verification/api'), 200],
  'verification-browser-init': [v2('GET', '/self-service/verification/browser'), 303],
  'verification-flow': [v2('GET', '/self-service/verification/flows', { query: { id: unknown } }), 404],
  'verification-submit': [v2('POST', '/self-service/verification', { query: { flow: unknown }, body: { method: 'code', code: '123456' } }), 404],
  'verification-link': [v2('GET', '/self-service/verification', { query: { flow: unknown, code: '123456' } }), 303],
  'ui-recovery': [v2('GET', '/ui/recovery'), 303],
  'ui-verification': [v2('GET', '/ui/verification'), 303],
  'admin-recovery-code': [v2('POST', '/admin/recovery/code', { headers: admin, body: { identity_id: unknown } }), 404],
  'ui-login': [v2('GET', '/ui/login'), 303],
  'ui-registration': [v2('GET', '/ui/registration'), 303],
  'ui-settings': [v2('GET', '/ui/settings'), 303],
  'ui-error': [v2('GET', '/ui/error', { query: { id: 'stub:500' } }), 200],
  'ui-welcome': [v2('GET', '/ui/welcome'), 200],
  'webauthn-script': [v2('GET', '/.well-known/ory/webauthn.js'), 200],
  'cors-preflight': [v2('OPTIONS', '/{proxy+}', { path: '/self-service/login', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' } }), 204],
  'admin-identities-list': [v2('GET', '/admin/identities', { headers: admin, query: { page_size: '2' } }), 200],
  'admin-identities-create': [v2('POST', '/admin/identities', { headers: admin, body: { schema_id: 'default', traits: { email: uniqueEmail('bundle') } } }), 201],
  'admin-identities-batch': [v2('PATCH', '/admin/identities', { headers: admin, body: { identities: [{ create: { schema_id: 'default', traits: { email: uniqueEmail('bundle-batch') } } }] } }), 200],
  'admin-courier-messages-list': [v2('GET', '/admin/courier/messages', { headers: admin }), 200],
  'admin-courier-message-get': [v2('GET', '/admin/courier/messages/{id}', { headers: admin, params: { id: unknown }, path: `/admin/courier/messages/${unknown}` }), 404],
  'admin-identity-get': [v2('GET', '/admin/identities/{id}', { headers: admin, ...idParams }), 404],
  'admin-identity-update': [v2('PUT', '/admin/identities/{id}', { headers: admin, ...idParams, body: {} }), 404],
  'admin-identity-patch': [v2('PATCH', '/admin/identities/{id}', { headers: admin, ...idParams, body: [] }), 404],
  'admin-identity-delete': [v2('DELETE', '/admin/identities/{id}', { headers: admin, ...idParams }), 404],
  'admin-identity-credentials-delete': [
    v2('DELETE', '/admin/identities/{id}/credentials/{type}', { headers: admin, params: { id: unknown, type: 'oidc' }, path: `/admin/identities/${unknown}/credentials/oidc` }),
    404,
  ],
  'admin-identity-sessions-list': [v2('GET', '/admin/identities/{id}/sessions', { headers: admin, ...idParams }), 404],
  'admin-identity-sessions-delete': [v2('DELETE', '/admin/identities/{id}/sessions', { headers: admin, ...idParams }), 404],
  'admin-sessions-list': [v2('GET', '/admin/sessions', { headers: admin }), 200],
  'admin-session-get': [v2('GET', '/admin/sessions/{id}', { headers: admin, ...idParams }), 404],
  'admin-session-delete': [v2('DELETE', '/admin/sessions/{id}', { headers: admin, ...idParams }), 404],
  'admin-session-extend': [v2('PATCH', '/admin/sessions/{id}/extend', { headers: admin, ...idParams }), 404],
  'admin-identity-by-external': [v2('GET', '/admin/identities/by/external/{externalID}', { headers: admin, params: { externalID: 'nobody' }, path: '/admin/identities/by/external/nobody' }), 404],
  'admin-version': [v2('GET', '/admin/version', { headers: admin }), 200],
  'admin-health-alive': [v2('GET', '/admin/health/alive', { headers: admin }), 200],
  'admin-health-ready': [v2('GET', '/admin/health/ready', { headers: admin }), 200],
};

async function rootSpanOf(result: { headers: Record<string, string> }, route: string) {
  const traceId = String(result.headers.traceresponse ?? '').split('-')[1];
  await udp.waitForSpans((spans) => spans.some((s) => s.traceId === traceId && s.name === route), 2000);
  return udp.spans.filter((s) => s.traceId === traceId);
}

describe('bundles loaded alone', () => {
  it('covers every function, each bundle under 1 MiB', () => {
    expect([...Object.keys(CASES), ...NOT_HTTP].sort()).toEqual(functionNames());
    for (const bundle of bundles) expect(bundle.bytes).toBeLessThan(1024 * 1024);
  });

  it.each(Object.entries(CASES))('%s answers correctly and exports its spans (health checks: none, as Kratos)', async (name, [event, status]) => {
    const result = invokeAlone(name, event);
    expect(result.statusCode).toBe(status);
    const route = event.routeKey.split(' ')[1];
    if (UNTRACED_FUNCTION(name, route)) {
      expect(result.headers.traceresponse).toBeUndefined();
      return;
    }
    const spans = await rootSpanOf(result, route);
    expect(spans.find((s) => s.name === route)?.tags).toMatchObject({ 'http.status_code': status, 'process.runtime.version': expect.stringMatching(/^24\./) });
    expect(udp.errors).toEqual([]);
  });

  it("exports no span of the cold start's warm-up, from its own cold start or any above", async () => {
    const [event] = CASES['login-init'];
    await rootSpanOf(invokeAlone('login-init', event), event.routeKey.split(' ')[1]);
    expect(udp.spans.filter((s) => s.name === 'warm-up' || s.tags['warm.string'] !== undefined)).toEqual([]);
  });

  it('jwt-example echoes the claims API Gateway verified, and without them (no authorizer in front) refuses', () => {
    const [event] = CASES['jwt-example'];
    expect(JSON.parse(invokeAlone('jwt-example', event).body)).toEqual({ subject: unknown, session_id: unknown, claims: EXAMPLE_CLAIMS });
    expect(invokeAlone('jwt-example', v2('GET', '/example/session-claims')).statusCode).toBe(401);
  });

  it('courier: a scheduled event sweeps the queue; a stream batch of other items delivers nothing and fails no record', () => {
    const scheduled = { version: '0', source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };
    // The suite's SMTP server: the sweep claims whatever the shared table's queue holds, other suites' mail included.
    const swept = invokeAlone('courier', scheduled, suiteCourierEnv()) as unknown as { batchItemFailures: unknown[] };
    expect(swept.batchItemFailures).toEqual([]);
    const record = { eventSource: 'aws:dynamodb', eventName: 'INSERT', dynamodb: { SequenceNumber: '1', NewImage: { pk: { S: 'FLOW#x' } } } };
    const streamed = invokeAlone('courier', { Records: [record] }) as unknown as { batchItemFailures: unknown[]; outcomes: object };
    expect(streamed).toMatchObject({ batchItemFailures: [], outcomes: {} });
  });

  it('with tracing off never loads the tracing SDK: whoami runs with no tracing-sdk.cjs beside it', () => {
    const result = invokeAlone('whoami', v2('GET', '/sessions/whoami'), { TRACING_PROVIDER: '' }, false);
    expect(result.statusCode).toBe(401);
    expect(result.headers.traceresponse).toBeUndefined();
    expect(bundles.map((b) => b.name)).toContain(SDK_BUNDLE_FILE.replace(/\.cjs$/, ''));
  });

  it('keeps the WebAuthn verification in a file of its own, which verifies an assertion on its own', async () => {
    expect(readFileSync(path.join(BUNDLE_DIR, 'login-submit.cjs'), 'utf8')).toContain(`require("./${WEBAUTHN_BUNDLE_FILE}")`);
    const verify = requireAlone(WEBAUTHN_BUNDLE_FILE);
    const rp = { id: 'localhost', displayName: 'Test', origins: ['http://localhost'] };
    const options = { rp: { id: 'localhost' }, user: { id: 'dXNlcg' }, challenge: 'Y2hhbGxlbmdl' };
    const { credential, response } = createCredential(options);
    const key = await verify.verifyRegistrationAt({ response: JSON.parse(response), challenge: options.challenge, rp, policy: PASSKEY_POLICY }, 'http://localhost');
    expect(Buffer.compare(key.id, credential.id)).toBe(0);
    const assertion = JSON.parse(assert(credential, { rpId: 'localhost', challenge: 'YWdhaW4' }));
    const proved = await verify.verifyAssertionAt({ response: assertion, challenge: 'YWdhaW4', rp, policy: PASSKEY_POLICY, key: { id: key.id, publicKey: key.publicKey, signCount: 0 } }, 'http://localhost');
    expect(proved).toMatchObject({ signCount: 1, cloneWarning: false });
  });

  /**
   * A file apart the SDK's file requires: `marks` (strings of its code) are in it and not in the SDK's file, so a traced
   * cold start that does not need it never parses them. Then loaded alone, with the OpenTelemetry API handed over as a
   * function hands it.
   */
  function sdkFileApart(file: string, marks: string[]) {
    const sdk = readFileSync(path.join(BUNDLE_DIR, SDK_BUNDLE_FILE), 'utf8');
    expect(sdk).toContain(`require("./${file}")`);
    const apart = readFileSync(path.join(BUNDLE_DIR, file), 'utf8');
    for (const mark of marks) {
      expect(apart).toContain(mark);
      expect(sdk).not.toContain(mark);
    }
    const key = Symbol.for(OTEL_API_GLOBAL_KEY);
    const holder = globalThis as unknown as Record<symbol, unknown>;
    const before = holder[key];
    holder[key] = createRequire(import.meta.url)('@opentelemetry/api');
    try {
      return requireAlone(file);
    } finally {
      holder[key] = before;
    }
  }

  it("keeps Jaeger's remote sampler in a file of its own, which the SDK's file requires and which loads with the API handed over", () => {
    // The remote sampler, and the SDK's span machinery its CommonJS build requires (the batch processor's message).
    const sampler = sdkFileApart(SAMPLER_BUNDLE_FILE, ['Could not update sampler', 'Exporter has been stopped']);
    expect(typeof sampler.JaegerRemoteSampler).toBe('function');
  });

  it("keeps the exporters other than Jaeger's in a file of their own, which the SDK's file requires and which loads with the API handed over", () => {
    // OTLP's and Zipkin's code: a cold start with Jaeger parses none of it.
    const exporters = sdkFileApart(EXPORTERS_BUNDLE_FILE, ['OTEL_EXPORTER_OTLP_HEADERS', 'localEndpoint']);
    expect(Object.keys(exporters).sort()).toEqual(['ConsoleTreeExporter', 'OTLPTraceExporter', 'ZipkinExporter']);
  });

  it('keeps the Jsonnet evaluator in a file of its own, which the mappers and web hooks require and which evaluates on its own', () => {
    for (const name of ['login-submit', 'oidc-callback', 'settings-submit', 'registration-submit']) {
      const bundle = readFileSync(path.join(BUNDLE_DIR, `${name}.cjs`), 'utf8');
      expect(bundle).toContain(`require("./${JSONNET_BUNDLE_FILE}")`);
      // The standard library's sources (std.manifestJsonEx among them) are in the file apart only.
      expect(bundle).not.toContain('manifestJsonEx');
    }
    const jsonnet = requireAlone(JSONNET_BUNDLE_FILE);
    expect(readFileSync(path.join(BUNDLE_DIR, JSONNET_BUNDLE_FILE), 'utf8')).toContain('manifestJsonEx');
    expect(jsonnet.evaluate('function(ctx) { id: ctx.identity.id, n: std.length(ctx.identity.traits) }', { tlaCode: { ctx: '{"identity":{"id":"i-1","traits":{"a":1,"b":2}}}' } })).toEqual({ id: 'i-1', n: 2 });
    expect(() => jsonnet.evaluate('error "cancel"')).toThrow(jsonnet.JsonnetError);
  });

  it('keeps ajv in a file of its own, which the functions that validate traits require and which compiles a schema on its own', () => {
    for (const name of ['registration-submit', 'settings-submit', 'admin-identities-create', 'login-init']) {
      const bundle = readFileSync(path.join(BUNDLE_DIR, `${name}.cjs`), 'utf8');
      expect(bundle).toContain(`require("./${VALIDATOR_BUNDLE_FILE}")`);
      // ajv's option names are in the file apart only: no function parses ajv until it validates traits.
      expect(bundle).not.toContain('strictSchema');
    }
    const { compileSchema } = requireAlone(VALIDATOR_BUNDLE_FILE);
    const validate = compileSchema({ type: 'object', properties: { email: { type: 'string', format: 'email' }, phone: { type: 'string', format: 'tel' } } });
    expect(validate({ email: 'a@example.com', phone: '+44 20 7946 0000' })).toBe(true);
    expect(validate({ email: 'nope', phone: 'call me' })).toBe(false);
    expect(validate.errors.map((e: { instancePath: string }) => e.instancePath).sort()).toEqual(['/email', '/phone']);
    expect(() => compileSchema({ type: 'strnig' })).toThrow();
  });

  it("keeps the TOTP key's QR code drawing in a file of its own, which the settings functions require and which draws on its own", async () => {
    expect(readFileSync(path.join(BUNDLE_DIR, 'settings-submit.cjs'), 'utf8')).toContain(`require("./${TOTP_QR_BUNDLE_FILE}")`);
    for (const name of ['login-init', 'settings-submit']) expect(readFileSync(path.join(BUNDLE_DIR, `${name}.cjs`), 'utf8')).not.toContain('IHDR');
    const qr = requireAlone(TOTP_QR_BUNDLE_FILE);
    const url: string = await qr.qrDataUrl('otpauth://totp/Kratos:a%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Kratos', 256);
    expect(url).toMatch(/^data:image\/png;base64,/);
    const png = Buffer.from(url.slice('data:image/png;base64,'.length), 'base64');
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(256); // IHDR width
  });

  it("keeps the session tokenizer's signing and Jsonnet in a file of their own, which maps claims and signs on its own", async () => {
    const whoami = readFileSync(path.join(BUNDLE_DIR, 'whoami.cjs'), 'utf8');
    expect(whoami).toContain(`require("./${TOKENIZER_BUNDLE_FILE}")`);
    // Neither jose nor the evaluator is parsed by a whoami that tokenizes nothing: their marks are in the file apart.
    const apart = readFileSync(path.join(BUNDLE_DIR, TOKENIZER_BUNDLE_FILE), 'utf8');
    for (const mark of ['manifestJsonEx', 'ERR_JWS_INVALID']) {
      expect(apart).toContain(mark);
      expect(whoami).not.toContain(mark);
    }
    const signing = requireAlone(TOKENIZER_BUNDLE_FILE);
    expect(signing.evaluateMapper("{ claims: { sid: std.extVar('claims').sid } }", { claims: '{"sid":"s-1"}' })).toEqual({ claims: { sid: 's-1' } });
    const { privateKey } = generateKeyPairSync('ed25519');
    const token: string = await signing.signJwt({ sub: 'x' }, { alg: 'EdDSA', typ: 'JWT', kid: 'k' }, privateKey);
    expect(JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString())).toEqual({ alg: 'EdDSA', typ: 'JWT', kid: 'k' });
  });

  it('serves the file:// identity schemas that `npm run package` shipped beside it, far from the files themselves', async () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'kratos-schemas-'));
    dirs.push(outdir);
    const packaged = await packageIdentitySchemas({ ...SCHEMA_ENV, INIT_CWD: process.cwd() }, outdir);
    const result = invokeAlone('schemas-list', v2('GET', '/schemas'), SCHEMA_ENV, true, [packaged.file]);
    expect(result.statusCode).toBe(200);
    expect(result.json.map((s: { id: string }) => s.id)).toEqual(['default', 'customer']);
    expect(result.json[1].schema.title).toBe('Customer');
    // Without the packaged file the relative paths lead nowhere: the cold start fails, naming the schema.
    const missing = invokeAlone('schemas-list', v2('GET', '/schemas'), { ...SCHEMA_ENV, LOG_LEVEL: 'info' });
    expect(missing.statusCode).toBe(500);
    expect(missing.output).toContain('IDENTITY_SCHEMAS: schema \\"default\\" could not be read');
  });

  it('prints no warning on a first invocation: no Buffer() deprecation, no Node version notice', () => {
    const result = invokeAlone('login-init', v2('GET', '/self-service/login/api'), { LOG_LEVEL: 'info' });
    expect(result.statusCode).toBe(200);
    expect(result.output).toContain('"msg":"request"'); // the log was on: a warning would have shown
    expect(result.output).not.toMatch(/DEP0005|Buffer\(\) is deprecated|NodeVersionSupportWarning|"level":"warn"/);
  });

  it('registers, then answers whoami, each from its own bundle (bcrypt, transaction, spans)', async () => {
    const flow = invokeAlone('registration-init', v2('GET', '/self-service/registration/api'));
    const email = uniqueEmail('bundled');
    const registered = invokeAlone(
      'registration-submit',
      v2('POST', '/self-service/registration', { query: { flow: flow.json.id }, body: { method: 'password', password: GOOD_PASSWORD, traits: { email } } }),
    );
    expect(registered.statusCode).toBe(200);
    expect(registered.json.identity.traits.email).toBe(email);
    const spans = await rootSpanOf(registered, '/self-service/registration');
    expect(spans.map((s) => s.name).sort()).toEqual(['/self-service/registration', 'DynamoDB.GetItem', 'DynamoDB.TransactWriteItems', 'bcrypt.hash'].sort());

    const whoami = invokeAlone('whoami', v2('GET', '/sessions/whoami', { headers: { 'x-session-token': registered.json.session_token } }));
    expect(whoami.statusCode).toBe(200);
    expect(whoami.json.identity.id).toBe(registered.json.identity.id);
    expect((await rootSpanOf(whoami, '/sessions/whoami')).map((s) => s.name).sort()).toEqual(['/sessions/whoami', 'DynamoDB.GetItem']);
  });
  describe('with secrets in SSM Parameter Store', () => {
    /** Lambda's runtime provides the AWS SDK, which the bundles leave out: here the project's copy stands in. */
    const RUNTIME_SDK = { NODE_PATH: path.join(PROJECT_ROOT, 'node_modules') };

    it('a bad parameter name, or a secret given both ways, stops the cold start naming the variables; no SDK is loaded for that', () => {
      const bad = invokeAlone('login-init', v2('GET', '/self-service/login/api'), { LOG_LEVEL: 'info', SECRETS_COOKIE: '', SECRETS_COOKIE_SSM_PARAMETER: 'not a name' });
      expect(bad.statusCode).toBe(500);
      expect(bad.output).toContain('cold start failed: SECRETS_COOKIE_SSM_PARAMETER must be a Parameter Store name');
      // The courier has no HTTP answer to give: its cold start fails, as in Lambda's runtime.
      const both = { COURIER_SMTP_CONNECTION_URI: 'smtp://127.0.0.1:1/', COURIER_SMTP_CONNECTION_URI_SSM_PARAMETER: '/kratos/smtp' };
      expect(() => invokeAlone('courier', { source: 'aws.events' }, both)).toThrow('ConfigError: COURIER_SMTP_CONNECTION_URI and COURIER_SMTP_CONNECTION_URI_SSM_PARAMETER are both set');
    });

    it('the admin key: read at the first request, the key held there opens the admin API and no other does', async () => {
      const ssm = await startSsmServer({ '/kratos/admin-api-key': 'admin-key-held-in-parameter-store' });
      try {
        const env = { ...RUNTIME_SDK, ...ssm.sdkEnv(), ADMIN_API_KEY: '', ADMIN_API_KEY_SSM_PARAMETER: '/kratos/admin-api-key' };
        const held = await invokeAloneAsync('admin-version', v2('GET', '/admin/version', { headers: { authorization: 'Bearer admin-key-held-in-parameter-store' } }), env);
        expect(held.statusCode).toBe(200);
        const other = await invokeAloneAsync('admin-version', v2('GET', '/admin/version', { headers: admin }), env);
        expect(other.statusCode).toBe(401);
        expect(ssm.requests).toEqual([
          { name: '/kratos/admin-api-key', withDecryption: true },
          { name: '/kratos/admin-api-key', withDecryption: true },
        ]);
      } finally {
        await ssm.close();
      }
    });

    it('the OTLP header: tracing waits for it, then exports with it', async () => {
      const ssm = await startSsmServer({ '/kratos/otlp-header': 'Bearer otlp-token-held-in-parameter-store' });
      const otlp = await startOtlpHttpReceiver();
      try {
        const result = await invokeAloneAsync('login-init', v2('GET', '/self-service/login/api'), {
          ...RUNTIME_SDK,
          ...ssm.sdkEnv(),
          TRACING_PROVIDER: 'otel',
          TRACING_PROVIDERS_OTLP_SERVER_URL: otlp.url,
          TRACING_PROVIDERS_OTLP_AUTHORIZATION_HEADER_SSM_PARAMETER: '/kratos/otlp-header',
        });
        expect(result.statusCode).toBe(200);
        await otlp.waitForSpans((spans) => spans.some((span) => span.name === '/self-service/login/api'), 5000);
        expect(otlp.requests.map((r) => r.headers.authorization)).toContain('Bearer otlp-token-held-in-parameter-store');
        expect(ssm.requests).toEqual([{ name: '/kratos/otlp-header', withDecryption: true }]);
      } finally {
        await otlp.close();
        await ssm.close();
      }
    });

    it('the courier’s SMTP URI: read before the sweep; a parameter that cannot be read fails the invocation (Lambda retries it), naming the variable', async () => {
      // The suite's SMTP server (as above: the sweep may claim other suites' queued mail).
      const ssm = await startSsmServer({ '/kratos/smtp': suiteCourierEnv().COURIER_SMTP_CONNECTION_URI ?? 'smtp://127.0.0.1:1/?disable_starttls=true' });
      try {
        const scheduled = { version: '0', source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };
        const env = { ...RUNTIME_SDK, ...ssm.sdkEnv(), LOG_LEVEL: 'info', COURIER_SMTP_CONNECTION_URI: '', COURIER_SMTP_CONNECTION_URI_SSM_PARAMETER: '/kratos/smtp' };
        const swept = (await invokeAloneAsync('courier', scheduled, env)) as unknown as { batchItemFailures: unknown[] };
        expect(swept.batchItemFailures).toEqual([]);
        expect(ssm.requests).toEqual([{ name: '/kratos/smtp', withDecryption: true }]);
        await expect(invokeAloneAsync('courier', scheduled, { ...env, COURIER_SMTP_CONNECTION_URI_SSM_PARAMETER: '/kratos/missing' })).rejects.toThrow(
          'courier: secrets not ready: COURIER_SMTP_CONNECTION_URI_SSM_PARAMETER: the parameter \\"/kratos/missing\\" could not be read (ParameterNotFound)',
        );
      } finally {
        await ssm.close();
      }
    });
  });
});
