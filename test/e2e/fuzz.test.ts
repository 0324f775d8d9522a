/**
 * Property-based hostility against every public and admin endpoint through serverless-offline (fast-check):
 * arbitrary bodies, content types, query strings and headers. Whatever arrives, the answer is never a 5xx,
 * always a Kratos-shaped body without internals, and a refused request writes nothing to DynamoDB. Trace
 * headers are fuzzed too. The functions here use a table of their own, so the write check sees only them.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { createDynamoClient } from '../../lib/store/dynamodb/client.js';
import { ensureTable } from '../../lib/store/dynamodb/table.js';
import type { RunningOffline } from '../../scripts/local-stack.js';
import { dynamoEndpoint, TEST_ENV } from '../support/env.js';
import { call, GOOD_PASSWORD, registerVia } from '../support/http.js';
import { expectMatchesSchema } from '../support/openapi.js';
import { startJaegerUdpReceiver, type UdpSpanReceiver } from '../support/trace-receivers.js';
import { startTracedOffline } from '../support/traced-stack.js';

const TABLE = 'kratos-fuzz';
const client = createDynamoClient({ endpoint: dynamoEndpoint(), tableName: TABLE, region: 'us-east-1' });
let offline: RunningOffline;
let udp: UdpSpanReceiver;
let base: string;
const pool = { flows: [] as string[], identities: [] as string[], tokens: [] as string[], sessions: [] as string[] };

const ROUTES: Array<[string, string]> = [
  ['GET', '/self-service/registration/api'],
  ['POST', '/self-service/registration'],
  ['GET', '/self-service/registration/flows'],
  ['GET', '/self-service/login/api'],
  ['POST', '/self-service/login'],
  ['GET', '/self-service/login/flows'],
  ['GET', '/sessions/whoami'],
  ['GET', '/sessions'],
  ['DELETE', '/sessions'],
  ['DELETE', '/sessions/{id}'],
  ['DELETE', '/self-service/logout/api'],
  ['GET', '/self-service/settings/api'],
  ['GET', '/self-service/settings/flows'],
  ['POST', '/self-service/settings'],
  ['GET', '/self-service/registration/browser'],
  ['GET', '/self-service/login/browser'],
  ['GET', '/self-service/settings/browser'],
  ['GET', '/self-service/logout/browser'],
  ['GET', '/self-service/logout'],
  ['GET', '/self-service/errors'],
  ['GET', '/self-service/recovery/api'],
  ['GET', '/self-service/recovery/browser'],
  ['GET', '/self-service/recovery/flows'],
  ['POST', '/self-service/recovery'],
  ['GET', '/self-service/recovery'],
  ['GET', '/self-service/verification/api'],
  ['GET', '/self-service/verification/browser'],
  ['GET', '/self-service/verification/flows'],
  ['POST', '/self-service/verification'],
  ['GET', '/self-service/verification'],
  ['GET', '/schemas'],
  ['GET', '/schemas/{id}'],
  ['GET', '/.well-known/{id}'],
  ['GET', '/ui/login'],
  ['GET', '/ui/registration'],
  ['GET', '/ui/settings'],
  ['GET', '/ui/recovery'],
  ['GET', '/ui/verification'],
  ['GET', '/ui/error'],
  ['GET', '/ui/welcome'],
  ['POST', '/ui/sessions'],
  ['GET', '/.well-known/ory/webauthn.js'],
  ['GET', '/health/alive'],
  ['GET', '/health/ready'],
  ['GET', '/admin/identities'],
  ['POST', '/admin/identities'],
  ['GET', '/admin/identities/{id}'],
  ['PUT', '/admin/identities/{id}'],
  ['PATCH', '/admin/identities/{id}'],
  ['DELETE', '/admin/identities/{id}'],
  ['GET', '/admin/identities/{id}/sessions'],
  ['DELETE', '/admin/identities/{id}/sessions'],
  ['GET', '/admin/sessions'],
  ['GET', '/admin/sessions/{id}'],
  ['DELETE', '/admin/sessions/{id}'],
  ['PATCH', '/admin/sessions/{id}/extend'],
  ['POST', '/admin/recovery/code'],
  ['GET', '/admin/identities/by/external/{id}'],
  ['PATCH', '/admin/identities'],
  ['GET', '/admin/courier/messages'],
  ['GET', '/admin/courier/messages/{id}'],
  ['GET', '/admin/version'],
  ['GET', '/version'],
  ['GET', '/admin/health/alive'],
  ['GET', '/admin/health/ready'],
];

/** Words that would mean internals leaked into an answer. */
const INTERNALS = /\bat [\w.<>]+ \(|node_modules|\.[cm]?[jt]s:\d+|TypeError|ReferenceError|SyntaxError|RangeError|Unexpected token|DynamoDB|ValidationException|ConditionalCheck|TransactionCanceled|ResourceNotFound|ECONNREFUSED|undefined is not|Cannot read prop/;

async function snapshot(): Promise<string> {
  const items: string[] = [];
  let start: Record<string, never> | undefined;
  do {
    const out = await client.send(new ScanCommand({ TableName: TABLE, ExclusiveStartKey: start, ConsistentRead: true }));
    for (const item of out.Items ?? []) {
      // A queued message's delivery state is the courier's to change meanwhile (serverless-offline runs its
      // schedule too); whether a message exists, and what it is, is the request's.
      // A failed login's throttle counter is written on purpose (its refusal counts): left out.
      if (item.kind?.S === 'throttle') continue;
      const kept = item.kind?.S === 'message' ? { pk: item.pk, template_type: item.template_type, recipient: item.recipient } : item;
      // Attribute names sorted at the top level only: a replacer list would drop the values' own keys (`S`, `N`).
      items.push(JSON.stringify(Object.fromEntries(Object.entries(kept).sort(([a], [b]) => a.localeCompare(b)))));
    }
    start = out.LastEvaluatedKey as typeof start;
  } while (start);
  return items.sort().join('\n');
}

beforeAll(async () => {
  await ensureTable(client, TABLE);
  udp = await startJaegerUdpReceiver();
  offline = await startTracedOffline({
    DYNAMODB_TABLE_NAME: TABLE,
    TRACING_PROVIDER: 'jaeger',
    TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS: `127.0.0.1:${udp.port}`,
    SELFSERVICE_FLOWS_RECOVERY_ENABLED: 'true',
    SELFSERVICE_FLOWS_VERIFICATION_ENABLED: 'true',
  });
  base = offline.baseUrl;
  for (let i = 0; i < 3; i++) {
    pool.flows.push((await call(base, 'GET', '/self-service/registration/api')).json.id);
    pool.flows.push((await call(base, 'GET', '/self-service/login/api')).json.id);
    pool.flows.push((await call(base, 'GET', '/self-service/recovery/api')).json.id);
    pool.flows.push((await call(base, 'GET', '/self-service/verification/api')).json.id);
    const flow = (await call(base, 'GET', '/self-service/registration/api')).json.id;
    const registered = await call(base, 'POST', `/self-service/registration?flow=${flow}`, {
      json: { method: 'password', password: GOOD_PASSWORD, traits: { email: `fuzz-${i}-${randomUUID().slice(0, 6)}@example.com` } },
    });
    pool.identities.push(registered.json.identity.id);
    pool.tokens.push(registered.json.session_token);
    pool.sessions.push(registered.json.session.id);
    pool.flows.push((await call(base, 'GET', '/self-service/settings/api', { headers: { 'X-Session-Token': registered.json.session_token } })).json.id);
  }
}, 120_000);

afterAll(async () => {
  await offline?.stop();
  await udp?.close();
  client.destroy();
});

// Header values must be printable ASCII to go over HTTP at all.
const printable = (max: number) => fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: max });
const oneOfPool = (key: keyof typeof pool) => fc.constantFrom(...pool[key]);
// "." and ".." would be resolved away by the URL itself, reaching another route (or none).
const idLike = () =>
  fc.oneof(oneOfPool('identities'), oneOfPool('sessions'), oneOfPool('flows'), fc.uuid(), printable(40), fc.constant('')).filter((id) => id !== '.' && id !== '..');

const bodies = () =>
  fc.oneof(
    fc.constant(undefined),
    fc.json({ maxDepth: 3 }),
    fc.jsonValue({ maxDepth: 40 }).map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 200 }),
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.string({ maxLength: 50 }).map((s) => `${s}\u0000${s}`),
    fc
      .dictionary(fc.constantFrom('method', 'password', 'identifier', 'email', 'code', 'identity_id', 'expires_in', 'traits.email', 'traits.name.first', 'traits', 'session_token', '__proto__.x', 'a.b.c.d.e'), fc.string({ maxLength: 80 }))
      .map((d) => new URLSearchParams(d).toString()),
    fc
      .record(
        {
          method: fc.oneof(fc.constant('password'), fc.string(), fc.integer(), fc.constant(null)),
          password: fc.oneof(fc.string({ maxLength: 100 }), fc.integer(), fc.constant(null), fc.array(fc.string())),
          identifier: fc.oneof(fc.emailAddress(), fc.string(), fc.integer()),
          traits: fc.oneof(fc.record({ email: fc.oneof(fc.emailAddress(), fc.string(), fc.integer(), fc.constant(null)) }), fc.string(), fc.integer(), fc.jsonValue({ maxDepth: 5 })),
          session_token: fc.oneof(oneOfPool('tokens'), fc.string()),
          schema_id: fc.oneof(fc.constant('default'), fc.string()),
          credentials: fc.jsonValue({ maxDepth: 4 }),
          state: fc.oneof(fc.constantFrom('active', 'inactive'), fc.string()),
        },
        { requiredKeys: [] },
      )
      .map((v) => JSON.stringify(v)),
    fc.array(fc.record({ op: fc.constantFrom('add', 'remove', 'replace', 'move', 'copy', 'test', 'x'), path: fc.oneof(fc.constantFrom('/traits/email', '/state', '/id', '/credentials', '/metadata_admin', '/__proto__/x', '/'), printable(20)), value: fc.jsonValue({ maxDepth: 3 }), from: printable(20) }, { requiredKeys: ['op'] })).map((v) => JSON.stringify(v)),
    fc.integer({ min: 1000, max: 300_000 }).map((n) => JSON.stringify({ method: 'password', password: 'x'.repeat(n), traits: { email: `${'y'.repeat(n)}@example.com` } })),
  );

const requests = () =>
  fc.record({
    route: fc.constantFrom(...ROUTES),
    id: idLike(),
    query: fc.dictionary(
      fc.constantFrom('flow', 'id', 'page_size', 'page_token', 'include_credential', 'active', 'refresh', 'credentials_identifier', 'return_to', 'token', 'tokenize_as', 'status', 'recipient', 'x'),
      fc.oneof(oneOfPool('flows'), fc.uuid(), printable(30), fc.integer({ min: -5, max: 1000 }).map(String), fc.constantFrom('true', 'false', 'password')),
      { maxKeys: 4 },
    ),
    contentType: fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain', 'application/json; charset=utf-16', 'multipart/form-data; boundary=x', 'application/vnd.api+json', ''),
    authorization: fc.oneof(fc.constant(`Bearer ${TEST_ENV.ADMIN_API_KEY}`), fc.constant(undefined), printable(60), oneOfPool('tokens').map((t) => `Bearer ${t}`)),
    sessionToken: fc.oneof(fc.constant(undefined), oneOfPool('tokens'), printable(60)),
    extraHeaders: fc.dictionary(fc.constantFrom('origin', 'cookie', 'x-request-id', 'accept', 'x-forwarded-proto', 'x-forwarded-host', 'user-agent'), printable(100), { maxKeys: 3 }),
    body: bodies(),
  });

function isKratosShaped(status: number, json: any): boolean {
  if (json && typeof json === 'object' && json.error && typeof json.error === 'object') {
    expectMatchesSchema('errorGeneric', json);
    return json.error.code === status && typeof json.error.message === 'string';
  }
  if (json && json.ui && Array.isArray(json.ui.nodes)) {
    const schema = json.type === 'api' && json.requested_aal ? 'loginFlow' : json.identity ? 'settingsFlow' : 'registrationFlow';
    expectMatchesSchema(schema, json);
    return status === 400;
  }
  if (status === 503 && json?.errors) return true;
  return false;
}

/**
 * Requests per run of the endpoint fuzzer: 1,000 on every `npm test` (each run draws new ones: fast-check's seed is
 * random and printed on a failure, with the shrunk counterexample); FUZZ_RUNS=20000 for a long session.
 */
const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 1000);

let counted = 0;
/** The snapshot taken after the previous run, when it was a refusal (and so wrote nothing). */
let last: string | undefined;

describe('fuzzing every endpoint', () => {
  it('never answers 5xx, always in Kratos’s shapes, never leaks internals, and a refusal writes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(requests(), async (r) => {
        counted++;
        const [method, template] = r.route;
        const path = template.replace('{id}', encodeURIComponent(r.id) || 'x');
        const query = new URLSearchParams(r.query).toString();
        const headers: Record<string, string> = { ...r.extraHeaders };
        if (r.contentType) headers['content-type'] = r.contentType;
        if (r.authorization !== undefined) headers.authorization = r.authorization;
        if (r.sessionToken !== undefined) headers['x-session-token'] = r.sessionToken;
        // The table as the last refusal left it, when nothing answered since (a scan less per run: most are refusals).
        const before = last ?? (await snapshot());
        last = undefined;
        const res = await fetch(`${base}${path}${query ? `?${query}` : ''}`, { method, headers, body: method === 'GET' ? undefined : r.body, redirect: 'manual' });
        const text = await res.text();
        expect(res.status).toBeLessThan(500);
        expect(text).not.toMatch(INTERNALS);
        // A browser is sent on with a 303 to an absolute URL; the UI's pages are HTML; webauthn.js is JavaScript;
        // everything else is JSON.
        const script = path === '/.well-known/ory/webauthn.js' && res.status === 200;
        if (res.status === 303) expect(res.headers.get('location')).toMatch(/^https?:\/\//);
        else if (text) expect(res.headers.get('content-type')).toBe(path.startsWith('/ui/') ? 'text/html; charset=utf-8' : script ? 'text/javascript; charset=UTF-8' : 'application/json; charset=utf-8');
        if (res.status >= 400 && path.startsWith('/ui/')) {
          expect(text).toMatch(/^<!doctype html>/);
        } else if (res.status >= 400) {
          expect(isKratosShaped(res.status, JSON.parse(text))).toBe(true);
          last = await snapshot();
          expect(last).toBe(before);
        }
      }),
      { numRuns: FUZZ_RUNS, endOnFailure: true },
    );
    expect(counted).toBeGreaterThanOrEqual(FUZZ_RUNS);
  }, 600_000);

  it('answers a body over its limit with 413 on every route, quickly (1 MiB; the batch import 5 MiB)', async () => {
    const over = (mib: number) => JSON.stringify({ method: 'password', password: 'p'.repeat(mib * 1024 * 1024 + 10) });
    for (const [method, template] of ROUTES) {
      if (method === 'GET') continue;
      const huge = over(method === 'PATCH' && template === '/admin/identities' ? 5 : 1);
      const path = template.replace('{id}', pool.identities[0]);
      const started = performance.now();
      const res = await fetch(`${base}${path}?flow=${pool.flows[0]}`, {
        method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ENV.ADMIN_API_KEY}` },
        body: huge,
      });
      const json = (await res.json()) as { error: unknown };
      expect([path, res.status]).toEqual([path, 413]);
      expect(json.error).toMatchObject({ code: 413 });
      expect(performance.now() - started).toBeLessThan(2000);
    }
  });
});

describe('fuzzing the sizes of identifiers, addresses and traits, up to the body limit', () => {
  const address = (bytes: number) => `${'a'.repeat(Math.max(1, bytes - 12))}@example.com`;
  const BODY_ROOM = 1024 * 1024 - 200;

  it('refuses an identifier or address over 320 bytes, and traits over 64 KiB, with 400 on the right node, quickly; never 5xx', async () => {
    // A session of its own: the fuzzing above may have logged the pool's out.
    const { token } = await registerVia(base, `sizes-${randomUUID().slice(0, 8)}@example.com`);
    const targets = {
      registration: async (size: number) => {
        const flow = (await call(base, 'GET', '/self-service/registration/api')).json.id;
        return { res: await call(base, 'POST', `/self-service/registration?flow=${flow}`, { json: { method: 'password', password: GOOD_PASSWORD, traits: { email: address(size) } } }), node: 'traits.email' };
      },
      login: async (size: number) => {
        const flow = (await call(base, 'GET', '/self-service/login/api')).json.id;
        return { res: await call(base, 'POST', `/self-service/login?flow=${flow}`, { json: { method: 'password', identifier: address(size), password: GOOD_PASSWORD } }), node: 'identifier' };
      },
      recovery: async (size: number) => {
        const flow = (await call(base, 'GET', '/self-service/recovery/api')).json.id;
        return { res: await call(base, 'POST', `/self-service/recovery?flow=${flow}`, { json: { method: 'code', email: address(size) } }), node: 'email' };
      },
      settings: async (size: number) => {
        const flow = (await call(base, 'GET', '/self-service/settings/api', { headers: { 'X-Session-Token': token } })).json.id;
        return { res: await call(base, 'POST', `/self-service/settings?flow=${flow}`, { headers: { 'X-Session-Token': token }, json: { method: 'profile', traits: { email: address(size) } } }), node: 'traits.email' };
      },
      admin: async (size: number) => ({
        res: await call(base, 'POST', '/admin/identities', { headers: { authorization: `Bearer ${TEST_ENV.ADMIN_API_KEY}` }, json: { schema_id: 'default', traits: { email: address(size) } } }),
        node: undefined,
      }),
    };
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...(Object.keys(targets) as (keyof typeof targets)[])), fc.integer({ min: 321, max: BODY_ROOM }), async (target, size) => {
        const started = performance.now();
        const { res, node } = await targets[target](size);
        expect([target, size, res.status]).toEqual([target, size, 400]);
        expect(performance.now() - started).toBeLessThan(5000);
        if (node) {
          const found = res.json.ui.nodes.find((n: any) => n.attributes.name === node);
          expect([target, found.messages.map((m: any) => m.id)]).toEqual([target, [4000017]]);
        } else {
          expect(res.json.error).toMatchObject({ code: 400, reason: expect.stringContaining('length must be <= 320') });
        }
      }),
      { numRuns: 40 },
    );
    // Traits too large as a whole, with every identifier in bounds.
    const flow = (await call(base, 'GET', '/self-service/registration/api')).json.id;
    const big = await call(base, 'POST', `/self-service/registration?flow=${flow}`, { json: { method: 'password', password: GOOD_PASSWORD, traits: { email: 'ok@example.com', name: { first: 'x'.repeat(BODY_ROOM - 200) } } } });
    expect(big.status).toBe(400);
    expect(big.json.ui.messages.map((m: any) => m.id)).toEqual([4000001]);
  }, 300_000);
});

describe('fuzzing trace headers', () => {
  const TRACE_HEADERS = ['uber-trace-id', 'uberctx-user', 'b3', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'x-b3-flags', 'traceparent', 'tracestate', 'baggage', 'x-amzn-trace-id'];
  const VALID = [
    /^[0-9a-f]{16,32}:[0-9a-f]{16}:[0-9a-f]{1,16}:[0-9a-f]{1,2}$/i, // uber-trace-id
    /^([0-9a-f]{16}|[0-9a-f]{32})-[0-9a-f]{16}(-[01d](-[0-9a-f]{16})?)?$/i, // b3
    /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/i, // traceparent
    /^[0-9a-f]{16}([0-9a-f]{16})?$/i, // x-b3 ids
    /Root=1-[0-9a-f]{8}-[0-9a-f]{24}/i, // x-amzn-trace-id
  ];

  it('never fails a request, and garbage context starts a new trace', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.constantFrom(...TRACE_HEADERS),
          fc.oneof(printable(80), printable(3000), fc.constantFrom('1', '0', 'd', 'true', '', '00-', '-')),
          { minKeys: 1, maxKeys: 6 },
        ),
        // Traced routes (health checks are not traced, as in Kratos).
        fc.constantFrom('/sessions/whoami', '/self-service/login/api'),
        async (headers, path) => {
          const res = await call(base, 'GET', path, { headers });
          expect(res.status).toBeLessThan(500);
          expect(res.traceId).toMatch(/^[0-9a-f]{32}$/);
          const garbage = Object.values(headers).every((v) => !VALID.some((re) => re.test(v.trim())));
          if (garbage) {
            // A new trace: its id is none the caller sent.
            for (const value of Object.values(headers)) expect(value.toLowerCase()).not.toContain(res.traceId);
          }
        },
      ),
      { numRuns: 300 },
    );
  }, 300_000);
});
