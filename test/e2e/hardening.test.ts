/**
 * Attacks an identity service meets on day one: races, account enumeration, stale or revoked sessions, and
 * cross-site requests against native flows.
 */
import { Configuration, IdentityApi } from '@ory/kratos-client';
import { randomBytes } from 'node:crypto';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoClient } from '../../lib/store/dynamodb/client.js';
import { keys } from '../../lib/store/dynamodb/items.js';
import { createDynamoStore } from '../../lib/store/dynamodb/store.js';
import { ensureTable } from '../../lib/store/dynamodb/table.js';
import type { RunningOffline } from '../../scripts/local-stack.js';
import { hashSessionToken } from '../../lib/session/service.js';
import { dynamoEndpoint, TEST_ENV } from '../support/env.js';
import { call, GOOD_PASSWORD, identityApi, registerVia, request, uniqueEmail } from '../support/http.js';
import { BREACHED_PASSWORD, BREACHES } from '../support/pwned.js';
import { startJaegerUdpReceiver, type UdpSpanReceiver } from '../support/trace-receivers.js';
import { startTracedOffline, traceOf, treeOf } from '../support/traced-stack.js';

describe('breached passwords (the shared stack looks them up in a local range API)', () => {
  const base = () => process.env.TEST_BASE_URL!;

  it('refuses a breached password at registration and in settings with Kratos message 4000034', async () => {
    const refused = await registerVia(base(), uniqueEmail('breached'), BREACHED_PASSWORD);
    expect(refused.status).toBe(400);
    const node = refused.res.json.ui.nodes.find((n: { attributes: { name: string } }) => n.attributes.name === 'password');
    expect(node.messages).toEqual([
      { id: 4000034, text: 'The password has been found in data breaches and must no longer be used.', type: 'error', context: { breaches: BREACHES } },
    ]);
    const { token } = await registerVia(base());
    const flow = await call(base(), 'GET', '/self-service/settings/api', { headers: { 'X-Session-Token': token } });
    const change = await call(base(), 'POST', `/self-service/settings?flow=${flow.json.id}`, {
      headers: { 'X-Session-Token': token },
      json: { method: 'password', password: BREACHED_PASSWORD },
    });
    expect(change.status).toBe(400);
    expect(change.json.ui.nodes.find((n: { attributes: { name: string } }) => n.attributes.name === 'password').messages[0].id).toBe(4000034);
  });
});

describe('races through the API', () => {
  const base = () => process.env.TEST_BASE_URL!;

  it('10 concurrent registrations of one identifier in mixed case: exactly one succeeds', async () => {
    const email = uniqueEmail('race');
    const concurrency = 10;
    // serverless-offline starts one worker per concurrent request; cold-starting them all at once on a loaded
    // 2-core machine can exceed the function timeout. Bring them up first, so the race runs on warm workers.
    await Promise.all(
      Array.from({ length: concurrency }, () =>
        call(base(), 'POST', '/self-service/registration?flow=00000000-0000-4000-8000-000000000000', { json: { method: 'password' } }),
      ),
    );
    // Flows first, then every submit at once: the race is between the submits.
    const flows = [];
    for (let i = 0; i < concurrency; i++) {
      const flow = await call(base(), 'GET', '/self-service/registration/api');
      expect(flow.status).toBe(200);
      flows.push(flow.json.id as string);
    }
    const results = await Promise.all(
      flows.map((flow, i) =>
        call(base(), 'POST', `/self-service/registration?flow=${flow}`, {
          json: { method: 'password', password: GOOD_PASSWORD, traits: { email: i % 2 ? email.toUpperCase() : email } },
        }),
      ),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    for (const loser of results.filter((r) => r.status !== 200)) {
      expect(loser.status).toBe(400);
      expect(loser.json.ui.messages.map((m: { id: number }) => m.id)).toEqual([4000007]);
    }
    const found = await identityApi().listIdentities({ credentialsIdentifier: email });
    expect(found.data).toHaveLength(1);
  });

  it('one registration flow submitted twice at once: one success, one refusal', async () => {
    const flow = await call(base(), 'GET', '/self-service/registration/api');
    const submit = (email: string) =>
      call(base(), 'POST', `/self-service/registration?flow=${flow.json.id}`, { json: { method: 'password', password: GOOD_PASSWORD, traits: { email } } });
    const results = await Promise.all([submit(uniqueEmail('twice-a')), submit(uniqueEmail('twice-b'))]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 400]);
    const refused = results.find((r) => r.status === 400)!;
    expect(refused.json.ui.messages.map((m: { id: number }) => m.id)).toEqual([4040002]);
  });

  it('one login flow submitted twice at once: one session, one refusal', async () => {
    const email = uniqueEmail('login-twice');
    await registerVia(base(), email);
    const flow = await call(base(), 'GET', '/self-service/login/api');
    const submit = () =>
      call(base(), 'POST', `/self-service/login?flow=${flow.json.id}`, { json: { method: 'password', identifier: email, password: GOOD_PASSWORD } });
    const results = await Promise.all([submit(), submit()]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 400]);
    expect(results.find((r) => r.status === 400)!.json.ui.messages.map((m: { id: number }) => m.id)).toEqual([4010007]);
  });

  it('logout racing whoami: no whoami started after logout answered ever succeeds', async () => {
    const registered = await registerVia(base(), uniqueEmail('logout-race'));
    const token = registered.res.json.session_token as string;
    let loggedOutAt = Infinity;
    const observations: Array<{ startedAt: number; status: number }> = [];
    let done = false;
    // Keep asking until well after logout answered (bounded), so some requests surely start after it.
    const hammer = async () => {
      let afterLogout = 0;
      for (let i = 0; i < 500 && afterLogout < 5; i++) {
        const startedAt = performance.now();
        const res = await call(base(), 'GET', '/sessions/whoami', { headers: { 'X-Session-Token': token } });
        observations.push({ startedAt, status: res.status });
        if (done && startedAt > loggedOutAt) afterLogout++;
      }
    };
    const logout = async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const res = await call(base(), 'DELETE', '/self-service/logout/api', { json: { session_token: token } });
      expect(res.status).toBe(204);
      loggedOutAt = performance.now();
      done = true;
    };
    await Promise.all([hammer(), hammer(), logout()]);
    const after = observations.filter((o) => o.startedAt > loggedOutAt);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((o) => o.status === 401)).toBe(true);
  });
});

describe('other sessions when the password changes', () => {
  const base = () => process.env.TEST_BASE_URL!;
  const whoami = async (token: string) => (await call(base(), 'GET', '/sessions/whoami', { headers: { 'X-Session-Token': token } })).status;

  it('tokens T1 and T2 of one identity: a password change with T2 ends T1, and T2 goes on', async () => {
    const { email, token: t1 } = await registerVia(base());
    const flow = await call(base(), 'GET', '/self-service/login/api');
    const login = await call(base(), 'POST', `/self-service/login?flow=${flow.json.id}`, { json: { method: 'password', identifier: email, password: GOOD_PASSWORD } });
    const t2 = login.json.session_token as string;
    expect([await whoami(t1), await whoami(t2)]).toEqual([200, 200]);
    const settings = await call(base(), 'GET', '/self-service/settings/api', { headers: { 'X-Session-Token': t2 } });
    const changed = await call(base(), 'POST', `/self-service/settings?flow=${settings.json.id}`, {
      headers: { 'X-Session-Token': t2 },
      json: { method: 'password', password: 'a wholly new passphrase 7' },
    });
    expect(changed.status).toBe(200);
    expect([await whoami(t1), await whoami(t2)]).toEqual([401, 200]);
  });
});

describe('an identity disabled or deleted', () => {
  const base = () => process.env.TEST_BASE_URL!;
  const admin = { Authorization: `Bearer ${TEST_ENV.ADMIN_API_KEY}`, 'Content-Type': 'application/json' };

  it.each(['disabled', 'deleted'])('%s: none of its sessions answers a whoami started after the admin call answered, however many race it', async (change) => {
    const registered = await registerVia(base(), uniqueEmail(`identity-${change}`));
    const tokens = [registered.token];
    for (let i = 0; i < 3; i++) {
      const flow = await call(base(), 'GET', '/self-service/login/api');
      const login = await call(base(), 'POST', `/self-service/login?flow=${flow.json.id}`, { json: { method: 'password', identifier: registered.email, password: GOOD_PASSWORD } });
      tokens.push(login.json.session_token);
    }
    let changedAt = Infinity;
    const observations: Array<{ startedAt: number; status: number }> = [];
    const hammer = async (token: string) => {
      let after = 0;
      for (let i = 0; i < 300 && after < 4; i++) {
        const startedAt = performance.now();
        const res = await call(base(), 'GET', '/sessions/whoami', { headers: { 'X-Session-Token': token } });
        observations.push({ startedAt, status: res.status });
        if (startedAt > changedAt) after++;
      }
    };
    const act = async () => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      const res =
        change === 'disabled'
          ? await request('PATCH', `/admin/identities/${registered.identityId}`, { headers: admin, body: JSON.stringify([{ op: 'replace', path: '/state', value: 'inactive' }]) })
          : await request('DELETE', `/admin/identities/${registered.identityId}`, { headers: admin });
      expect([200, 204]).toContain(res.status);
      changedAt = performance.now();
    };
    await Promise.all([...tokens.map(hammer), act()]);
    const after = observations.filter((o) => o.startedAt > changedAt);
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((o) => o.status !== 401)).toEqual([]);
    expect(observations.some((o) => o.startedAt < changedAt && o.status === 200)).toBe(true);
  });
});

describe('enumeration, sessions and CSRF (bcrypt cost 5, sessions living 3 s)', () => {
  let udp: UdpSpanReceiver;
  let offline: RunningOffline;
  // A table of its own: the login throttle's per-client counters (every suite's client is 127.0.0.1) would otherwise
  // carry other suites' failures and windows (the throttle suite's last a minute) into the DynamoDB calls counted here.
  const table = `kratos-hardening-${randomBytes(3).toString('hex')}`;
  const client = createDynamoClient({ endpoint: dynamoEndpoint(), tableName: table, region: 'us-east-1' });
  const store = createDynamoStore(client, table);

  beforeAll(async () => {
    udp = await startJaegerUdpReceiver();
    await ensureTable(client, table);
    offline = await startTracedOffline({
      DYNAMODB_TABLE_NAME: table,
      HASHERS_BCRYPT_COST: '5',
      SESSION_LIFESPAN: '3s',
      TRACING_PROVIDER: 'jaeger',
      TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS: `127.0.0.1:${udp.port}`,
    });
  });
  afterAll(async () => {
    await offline?.stop();
    await udp?.close();
    client.destroy();
  });

  /** A failed login's body with what legitimately differs (ids, timestamps, the echoed identifier) masked. */
  function normalized(body: unknown, identifier: string): string {
    return JSON.stringify(body)
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>')
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
      .split(JSON.stringify(identifier).slice(1, -1))
      .join('<identifier>');
  }

  it('answers an unknown identifier and a wrong password byte for byte alike, each after one compare at the configured cost', async () => {
    const known = uniqueEmail('known');
    expect((await registerVia(offline.baseUrl, known)).status).toBe(200);
    const unknown = uniqueEmail('unknown');
    const attempt = async (identifier: string) => {
      const flow = await call(offline.baseUrl, 'GET', '/self-service/login/api');
      return call(offline.baseUrl, 'POST', `/self-service/login?flow=${flow.json.id}`, {
        json: { method: 'password', identifier, password: 'definitely not it 1' },
      });
    };
    const [wrong, missing] = [await attempt(known), await attempt(unknown)];
    expect(wrong.status).toBe(400);
    expect(missing.status).toBe(400);
    expect(normalized(missing.json, unknown)).toBe(normalized(wrong.json, known));
    expect([...wrong.headers.keys()].sort()).toEqual([...missing.headers.keys()].sort());

    const trees = [];
    for (const res of [wrong, missing]) {
      const tree = treeOf(await traceOf(udp, res.traceId, '/self-service/login'), '/self-service/login');
      const compares = tree.children.filter((c) => c.name === 'bcrypt.compare');
      expect(compares).toHaveLength(1);
      expect(compares[0].tags['bcrypt.workfactor']).toBe(5);
      trees.push(tree.names);
    }
    // The same DynamoDB calls too: one batched read, the throttle's reservation and the failure counted, whether or not
    // the identifier has an account.
    expect(trees[0]).toEqual(['DynamoDB.BatchGetItem', 'DynamoDB.UpdateItem', 'bcrypt.compare', 'DynamoDB.UpdateItem']);
    expect(trees[1]).toEqual(trees[0]);
  });

  it('refuses an expired session while its item still exists', async () => {
    const registered = await registerVia(offline.baseUrl, uniqueEmail('expiring'));
    const token = registered.res.json.session_token as string;
    expect((await call(offline.baseUrl, 'GET', '/sessions/whoami', { headers: { 'X-Session-Token': token } })).status).toBe(200);
    // DynamoDB deletes an expired item when it gets to it (up to days later); DynamoDB Local's sweep can get to it
    // within the second. The item's TTL pushed a day out stands for that lag, so that the item surely still exists.
    await client.send(
      new UpdateItemCommand({ TableName: table, Key: keys.session(hashSessionToken(token)), UpdateExpression: 'SET #ttl = :later', ExpressionAttributeNames: { '#ttl': 'ttl' }, ExpressionAttributeValues: { ':later': { N: String(Math.floor(Date.now() / 1000) + 86_400) } } }),
    );
    const expiresAt = new Date(registered.res.json.session.expires_at).getTime();
    // Waiting for the 3 s lifespan to run out is the behaviour under test, not a wait for an export.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now()) + 100));
    const res = await call(offline.baseUrl, 'GET', '/sessions/whoami', { headers: { 'X-Session-Token': token } });
    expect(res.status).toBe(401);
    const stored = await store.sessions.getByTokenHash(hashSessionToken(token));
    expect(stored?.id).toBe(registered.res.json.session.id);
    expect(stored?.active).toBe(true);
  });

  it('refuses a revoked session while its item still exists, and a session of a deactivated identity', async () => {
    const registered = await registerVia(offline.baseUrl, uniqueEmail('revoked'));
    const token = registered.res.json.session_token as string;
    await call(offline.baseUrl, 'DELETE', '/self-service/logout/api', { json: { session_token: token } });
    expect((await call(offline.baseUrl, 'GET', '/sessions/whoami', { headers: { 'X-Session-Token': token } })).status).toBe(401);
    expect((await store.sessions.getByTokenHash(hashSessionToken(token)))?.active).toBe(false);

    const other = await registerVia(offline.baseUrl, uniqueEmail('deactivated'));
    const deactivated = await call(offline.baseUrl, 'PATCH', `/admin/identities/${other.res.json.identity.id}`, {
      headers: { Authorization: `Bearer ${TEST_ENV.ADMIN_API_KEY}` },
      json: [{ op: 'replace', path: '/state', value: 'inactive' }],
    });
    expect(deactivated.status).toBe(200);
    const res = await call(offline.baseUrl, 'GET', '/sessions/whoami', { headers: { 'X-Session-Token': other.res.json.session_token } });
    expect(res.status).toBe(401);
    expect(await store.sessions.getByTokenHash(hashSessionToken(other.res.json.session_token))).toBeDefined();
  });

  it.each([
    ['an Origin header', { Origin: 'https://evil.example' }, '"Origin" key'],
    ['a cookie', { Cookie: 'ory_kratos_session=stolen' }, '"Cookie" key'],
  ])('refuses an API flow submit carrying %s, as Kratos does', async (_, headers, reason) => {
    const email = uniqueEmail('csrf');
    for (const type of ['login', 'registration'] as const) {
      const flow = await call(offline.baseUrl, 'GET', `/self-service/${type}/api`);
      const body =
        type === 'login'
          ? { method: 'password', identifier: email, password: GOOD_PASSWORD }
          : { method: 'password', password: GOOD_PASSWORD, traits: { email } };
      const res = await call(offline.baseUrl, 'POST', `/self-service/${type}?flow=${flow.json.id}`, { headers, json: body });
      expect(res.status).toBe(400);
      expect(res.json.ui.messages).toHaveLength(1);
      expect(res.json.ui.messages[0]).toMatchObject({ id: 4000001, type: 'error' });
      expect(res.json.ui.messages[0].text).toContain(reason);
    }
    // Nothing was registered by the refused registration.
    const admin = new IdentityApi(new Configuration({ basePath: offline.baseUrl, apiKey: `Bearer ${TEST_ENV.ADMIN_API_KEY}` }));
    expect((await admin.listIdentities({ credentialsIdentifier: email })).data).toEqual([]);
  });
});
