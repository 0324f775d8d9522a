/**
 * The admin API and the settings flow, end to end with the official SDK (IdentityApi, FrontendApi), every
 * body checked against Kratos's spec.
 */
import bcrypt from 'bcryptjs';
import { randomUUID } from 'node:crypto';
import { Configuration, MetadataApi } from '@ory/kratos-client';
import { baseUrl, TEST_ENV } from '../support/env.js';
import { testStore } from '../support/store.js';
import { failure, frontendApi, GOOD_PASSWORD, identityApi, links, request, uniqueEmail } from '../support/http.js';
import { expectMatchesSchema } from '../support/openapi.js';

const admin = identityApi();
const frontend = frontendApi();
const auth = { Authorization: `Bearer ${TEST_ENV.ADMIN_API_KEY}` };

async function login(identifier: string, password: string) {
  const { data: flow } = await frontend.createNativeLoginFlow();
  return frontend.updateLoginFlow({ flow: flow.id, updateLoginFlowBody: { method: 'password', identifier, password } });
}

async function createWithPassword(email = uniqueEmail('admin'), password = GOOD_PASSWORD) {
  const { data } = await admin.createIdentity({
    createIdentityBody: { schema_id: 'default', traits: { email }, credentials: { password: { config: { password } } } },
  });
  return { identity: data, email };
}

const ADMIN_ROUTES: Array<[string, string]> = [
  ['GET', '/admin/identities'],
  ['POST', '/admin/identities'],
  ['GET', '/admin/identities/00000000-0000-4000-8000-000000000000'],
  ['PUT', '/admin/identities/00000000-0000-4000-8000-000000000000'],
  ['PATCH', '/admin/identities/00000000-0000-4000-8000-000000000000'],
  ['DELETE', '/admin/identities/00000000-0000-4000-8000-000000000000'],
  ['GET', '/admin/identities/00000000-0000-4000-8000-000000000000/sessions'],
  ['DELETE', '/admin/identities/00000000-0000-4000-8000-000000000000/sessions'],
  ['GET', '/admin/sessions'],
  ['GET', '/admin/sessions/00000000-0000-4000-8000-000000000000'],
  ['DELETE', '/admin/sessions/00000000-0000-4000-8000-000000000000'],
  ['PATCH', '/admin/sessions/00000000-0000-4000-8000-000000000000/extend'],
  ['GET', '/admin/identities/by/external/someone'],
  ['PATCH', '/admin/identities'],
  ['GET', '/admin/courier/messages'],
  ['GET', '/admin/courier/messages/00000000-0000-4000-8000-000000000000'],
  ['GET', '/admin/version'],
  ['GET', '/admin/health/alive'],
  ['GET', '/admin/health/ready'],
];

describe('the admin key', () => {
  it.each(ADMIN_ROUTES)('%s %s refuses a missing, wrong or malformed key with 401', async (method, path) => {
    for (const headers of [{} as Record<string, string>, { Authorization: 'Bearer wrong-key-wrong-key-wrong' }, { Authorization: TEST_ENV.ADMIN_API_KEY }, { Authorization: `Basic ${TEST_ENV.ADMIN_API_KEY}` }]) {
      const res = await request(method, path, { headers: { 'Content-Type': 'application/json', ...headers }, body: method === 'GET' ? undefined : '{}' });
      expect(res.status).toBe(401);
      expectMatchesSchema('errorGeneric', res.json);
      expect(res.json.error.reason).toContain('Authorization: Bearer');
    }
  });

  it('lets the SDK in with apiKey "Bearer <key>"', async () => {
    const { data, status } = await admin.listIdentities({ pageSize: 1 });
    expect(status).toBe(200);
    expect(Array.isArray(data)).toBe(true);
    const version = await request('GET', '/admin/version', { headers: auth });
    expect(version.json).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    // The SDK's MetadataApi asks /version, without a key (Kratos's spec gives it none): the version alone, no more.
    expect((await new MetadataApi(new Configuration({ basePath: baseUrl() })).getVersion()).data).toEqual(version.json);
    expect((await request('GET', '/admin/health/ready', { headers: auth })).json).toEqual({ status: 'ok' });
  });
});

describe('creating and importing identities', () => {
  it('creates one with a clear-text password (201, Location), which can then log in', async () => {
    const email = uniqueEmail('created');
    const res = await admin.createIdentity({
      createIdentityBody: {
        schema_id: 'default',
        traits: { email, name: { first: 'Ada' } },
        metadata_public: { plan: 'pro' },
        metadata_admin: { note: 'vip' },
        credentials: { password: { config: { password: 'short' } } }, // no policy on admin create, as Kratos
      },
    });
    expect(res.status).toBe(201);
    expectMatchesSchema('identity', res.data);
    expect(res.headers.location).toBe(`${process.env.TEST_BASE_URL}/admin/identities/${res.data.id}`);
    expect(res.data).toMatchObject({ state: 'active', metadata_public: { plan: 'pro' }, metadata_admin: { note: 'vip' } });
    expect(res.data.credentials?.password).toMatchObject({ type: 'password', identifiers: [email] });
    expect(JSON.stringify(res.data)).not.toContain('$2');
    const { data } = await login(email.toUpperCase(), 'short');
    expect(data.session.identity!.id).toBe(res.data.id);
  });

  it.each([
    ['$2b$', bcrypt.hashSync('imported-password-1', 5)],
    ['$2a$', bcrypt.hashSync('imported-password-1', 4).replace(/^\$2b\$/, '$2a$')],
    ['$2y$', bcrypt.hashSync('imported-password-1', 4).replace(/^\$2b\$/, '$2y$')],
  ])('imports a %s bcrypt hash, and the user logs in with the password', async (_, hashed) => {
    const email = uniqueEmail('imported');
    const { data: identity } = await admin.createIdentity({
      createIdentityBody: { schema_id: 'default', traits: { email }, credentials: { password: { config: { hashed_password: hashed } } } },
    });
    const { data } = await login(email, 'imported-password-1');
    expect(data.session.identity!.id).toBe(identity.id);
    const wrong = await failure(login(email, 'imported-password-2'));
    expect(wrong.status).toBe(400);
  });

  it('keeps an external_id unique, finds the identity by it, and releases it when changed', async () => {
    const externalId = `crm-${randomUUID()}`;
    const email = uniqueEmail('external');
    const { data: created } = await admin.createIdentity({ createIdentityBody: { schema_id: 'default', traits: { email }, external_id: externalId } as never });
    expect((created as { external_id?: string }).external_id).toBe(externalId);
    const found = await request('GET', `/admin/identities/by/external/${encodeURIComponent(externalId)}`, { headers: auth });
    expect(found.status).toBe(200);
    expect(found.json.id).toBe(created.id);
    expectMatchesSchema('identity', found.json);
    const taken = await failure(admin.createIdentity({ createIdentityBody: { schema_id: 'default', traits: { email: uniqueEmail('external-2') }, external_id: externalId } as never }));
    expect(taken.status).toBe(409);
    const renamed = `${externalId}-2`;
    await admin.updateIdentity({ id: created.id, updateIdentityBody: { schema_id: 'default', traits: { email }, state: 'active', external_id: renamed } as never });
    expect((await request('GET', `/admin/identities/by/external/${encodeURIComponent(externalId)}`, { headers: auth })).status).toBe(404);
    expect((await request('GET', `/admin/identities/by/external/${encodeURIComponent(renamed)}`, { headers: auth })).json.id).toBe(created.id);
    expect((await request('POST', '/admin/identities', { headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify({ schema_id: 'default', traits: { email: uniqueEmail('ext') }, external_id: 5 }) })).status).toBe(400);
  });

  it('imports an argon2id hash (Kratos\'s vector of "test"), checks it at the first login and stores bcrypt instead', async () => {
    const email = uniqueEmail('imported-argon2');
    const hashed = '$argon2id$v=19$m=32,t=2,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw';
    const { data: identity } = await admin.createIdentity({
      createIdentityBody: { schema_id: 'default', traits: { email }, credentials: { password: { config: { hashed_password: hashed } } } },
    });
    expect((await failure(login(email, 'test-wrong'))).status).toBe(400);
    expect((await login(email, 'test')).data.session.identity!.id).toBe(identity.id);
    const stored = (await admin.getIdentity({ id: identity.id, includeCredential: ['password'] })).data.credentials?.password?.config as { hashed_password?: string };
    expect(stored.hashed_password).toMatch(/^\$2[aby]\$04\$/);
    expect((await login(email, 'test')).data.session.identity!.id).toBe(identity.id);
  });

  it.each([
    ['an argon2 hash asking for 2 GiB', '$argon2id$v=19$m=2097152,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA'],
    ['a SHA-crypt hash of over a million rounds', '$sha512-crypt$rounds=1000001$3LVbIAVxR//cRajw$uuNasMW.RYxlGzIRFU1Was70BPSa933AjxhZIGJdJBOlqJAHlgqa0yuiuq5JHF/ryNGryJkj87G9i3G2HPSXg1'],
    ['a bcrypt cost over 15', `$2b$16$${'a'.repeat(53)}`],
    ['a truncated bcrypt hash', '$2b$10$abc'],
  ])('refuses %s with 400', async (_, hashed) => {
    const res = await failure(
      admin.createIdentity({
        createIdentityBody: { schema_id: 'default', traits: { email: uniqueEmail() }, credentials: { password: { config: { hashed_password: hashed } } } },
      }),
    );
    expect(res.status).toBe(400);
    expectMatchesSchema('errorGeneric', res.data);
    expect(res.data.error.reason).toMatch(/not a supported hash|exceed the allowed bounds/);
  });

  it('refuses unknown keys, invalid traits and an unknown schema with 400', async () => {
    for (const body of [
      { schema_id: 'default', traits: { email: uniqueEmail() }, favourite_colour: 'blue' },
      { schema_id: 'default', traits: {} },
      { schema_id: 'default', traits: { email: 'not-an-email' } },
      { schema_id: 'customer', traits: { email: uniqueEmail() } },
      { schema_id: 'default', traits: { email: uniqueEmail() }, state: 'sleeping' },
    ]) {
      const res = await request('POST', '/admin/identities', { headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status).toBe(400);
      expectMatchesSchema('errorGeneric', res.json);
    }
  });

  it('answers 409 for an identifier that exists in another letter case', async () => {
    const { email } = await createWithPassword();
    const res = await failure(admin.createIdentity({ createIdentityBody: { schema_id: 'default', traits: { email: email.toUpperCase() } } }));
    expect(res.status).toBe(409);
    expectMatchesSchema('errorGeneric', res.data);
    expect(res.data.error.reason).toBe('This identity conflicts with another identity that already exists.');
  });
});

describe('finding identities', () => {
  it('walks 7 identities with page_size=3 through Link headers and sees each exactly once', async () => {
    const mine = new Set<string>();
    for (let i = 0; i < 7; i++) mine.add((await createWithPassword(uniqueEmail(`page${i}`))).identity.id);
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    for (;;) {
      const res = await admin.listIdentities({ pageSize: 3, pageToken: token });
      pages++;
      res.data.forEach((identity) => expectMatchesSchema('identity', identity));
      expect(res.data.length).toBeLessThanOrEqual(3);
      seen.push(...res.data.map((identity) => identity.id));
      const rel = links(res.headers.link);
      expect(rel.first).toContain('page_size=3');
      if (!rel.next) break;
      token = new URL(rel.next).searchParams.get('page_token')!;
    }
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => mine.has(id)).sort()).toEqual([...mine].sort());
  });

  it('filters by credentials identifier and includes the hash only when asked', async () => {
    const { identity, email } = await createWithPassword();
    const plain = await admin.listIdentities({ credentialsIdentifier: email.toUpperCase() });
    expect(plain.data.map((i) => i.id)).toEqual([identity.id]);
    expect(plain.data[0].credentials?.password?.config).toBeUndefined();
    const withHash = await admin.listIdentities({ credentialsIdentifier: email, includeCredential: ['password'] });
    expect((withHash.data[0].credentials?.password?.config as { hashed_password: string }).hashed_password).toMatch(/^\$2b\$04\$/);
    const got = await admin.getIdentity({ id: identity.id, includeCredential: ['password'] });
    expectMatchesSchema('identity', got.data);
    expect(got.data.credentials?.password?.config).toBeDefined();
    expect((await admin.listIdentities({ credentialsIdentifier: uniqueEmail('none') })).data).toEqual([]);
  });

  it('answers 404 for an unknown or malformed id, and 400 for a bad page size', async () => {
    expect((await failure(admin.getIdentity({ id: '00000000-0000-4000-8000-000000000000' }))).status).toBe(404);
    expect((await failure(admin.getIdentity({ id: 'nope' }))).status).toBe(404);
    expect((await failure(admin.listIdentities({ pageSize: 501 }))).status).toBe(400);
  });
});

describe('changing identities', () => {
  it('PUT replaces traits and metadata and moves the identifier claim', async () => {
    const { identity, email } = await createWithPassword();
    const newEmail = uniqueEmail('moved');
    const { data } = await admin.updateIdentity({
      id: identity.id,
      updateIdentityBody: { schema_id: 'default', state: 'active', traits: { email: newEmail }, metadata_public: { v: 2 } },
    });
    expectMatchesSchema('identity', data);
    expect(data.traits).toEqual({ email: newEmail });
    expect(data.metadata_public).toEqual({ v: 2 });
    expect(data.credentials?.password?.identifiers).toEqual([newEmail]);
    expect((await login(newEmail, GOOD_PASSWORD)).status).toBe(200);
    expect((await failure(login(email, GOOD_PASSWORD))).status).toBe(400);
    // The old identifier is free again.
    expect((await createWithPassword(email)).identity.id).not.toBe(identity.id);
  });

  it('PUT refuses taking another identity’s identifier (409) and leaves both as they were', async () => {
    const a = await createWithPassword();
    const b = await createWithPassword();
    const res = await failure(
      admin.updateIdentity({ id: b.identity.id, updateIdentityBody: { schema_id: 'default', state: 'active', traits: { email: a.email } } }),
    );
    expect(res.status).toBe(409);
    expect((await login(b.email, GOOD_PASSWORD)).status).toBe(200);
    expect((await login(a.email, GOOD_PASSWORD)).data.session.identity!.id).toBe(a.identity.id);
  });

  it('PATCH applies JSON Patch and refuses /id and /credentials', async () => {
    const { identity } = await createWithPassword();
    const newEmail = uniqueEmail('patched');
    const { data } = await admin.patchIdentity({
      id: identity.id,
      jsonPatch: [
        { op: 'replace', path: '/traits/email', value: newEmail },
        { op: 'add', path: '/metadata_admin', value: { tier: 'gold' } },
      ],
    });
    expectMatchesSchema('identity', data);
    expect(data.traits).toEqual({ email: newEmail });
    expect(data.metadata_admin).toEqual({ tier: 'gold' });
    for (const path of ['/id', '/credentials', '/credentials/password']) {
      const res = await failure(admin.patchIdentity({ id: identity.id, jsonPatch: [{ op: 'replace', path, value: 'x' }] }));
      expect(res.status).toBe(400);
      expect(res.data.error.reason).toContain('denied path');
    }
    const badPatch = await failure(admin.patchIdentity({ id: identity.id, jsonPatch: [{ op: 'remove', path: '/traits/nothing' }] }));
    expect(badPatch.status).toBe(400);
  });

  it('an inactive identity cannot log in, and its sessions stop answering whoami', async () => {
    const { identity, email } = await createWithPassword();
    const { data: session } = await login(email, GOOD_PASSWORD);
    expect((await frontend.toSession({ xSessionToken: session.session_token })).status).toBe(200);
    await admin.patchIdentity({ id: identity.id, jsonPatch: [{ op: 'replace', path: '/state', value: 'inactive' }] });
    expect((await failure(frontend.toSession({ xSessionToken: session.session_token }))).status).toBe(401);
    const refused = await failure(login(email, GOOD_PASSWORD));
    expect(refused.status).toBe(401);
    expect(refused.data.error.reason).toBe('This account was disabled.');
    // Reactivated, the session answers again.
    await admin.patchIdentity({ id: identity.id, jsonPatch: [{ op: 'replace', path: '/state', value: 'active' }] });
    expect((await frontend.toSession({ xSessionToken: session.session_token })).status).toBe(200);
  });

  it('DELETE removes the identity, its identifier and its sessions', async () => {
    const { identity, email } = await createWithPassword();
    const { data: session } = await login(email, GOOD_PASSWORD);
    expect((await admin.deleteIdentity({ id: identity.id })).status).toBe(204);
    expect((await failure(admin.getIdentity({ id: identity.id }))).status).toBe(404);
    expect((await failure(frontend.toSession({ xSessionToken: session.session_token }))).status).toBe(401);
    expect((await failure(admin.getSession({ id: session.session.id }))).status).toBe(404);
    expect((await failure(admin.deleteIdentity({ id: identity.id }))).status).toBe(404);
    await createWithPassword(email);
  });
});

describe('sessions', () => {
  it('lists, gets, extends and revokes sessions', async () => {
    const { identity, email } = await createWithPassword();
    const one = (await login(email, GOOD_PASSWORD)).data;
    const two = (await login(email, GOOD_PASSWORD)).data;

    const list = await admin.listIdentitySessions({ id: identity.id });
    list.data.forEach((s) => expectMatchesSchema('session', s));
    expect(list.data.map((s) => s.id).sort()).toEqual([one.session.id, two.session.id].sort());

    const got = await admin.getSession({ id: one.session.id });
    expectMatchesSchema('session', got.data);
    expect(got.data.identity!.id).toBe(identity.id);

    const extended = await admin.extendSession({ id: one.session.id });
    expect(extended.status).toBe(200);
    expectMatchesSchema('session', extended.data);
    expect(new Date(extended.data.expires_at!).getTime()).toBeGreaterThanOrEqual(new Date(one.session.expires_at!).getTime());

    expect((await admin.disableSession({ id: one.session.id })).status).toBe(204);
    expect((await failure(frontend.toSession({ xSessionToken: one.session_token }))).status).toBe(401);
    expect((await admin.getSession({ id: one.session.id })).data.active).toBe(false);
    const active = await admin.listIdentitySessions({ id: identity.id, active: true });
    expect(active.data.map((s) => s.id)).toEqual([two.session.id]);

    expect((await admin.deleteIdentitySessions({ id: identity.id })).status).toBe(204);
    expect((await failure(frontend.toSession({ xSessionToken: two.session_token }))).status).toBe(401);
    expect((await admin.listIdentitySessions({ id: identity.id, active: true })).data).toEqual([]);
  });

  it('pages through all sessions with Link headers', async () => {
    const { email } = await createWithPassword();
    for (let i = 0; i < 3; i++) await login(email, GOOD_PASSWORD);
    const first = await admin.listSessions({ pageSize: 2 });
    expect(first.data).toHaveLength(2);
    first.data.forEach((s) => expectMatchesSchema('session', s));
    const next = links(first.headers.link).next;
    expect(next).toBeDefined();
    const second = await admin.listSessions({ pageSize: 2, pageToken: new URL(next).searchParams.get('page_token')! });
    expect(second.data.map((s) => s.id)).not.toContain(first.data[0].id);
  });

  it('answers 404 for unknown sessions and identities', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await failure(admin.getSession({ id: unknown }))).status).toBe(404);
    expect((await failure(admin.extendSession({ id: unknown }))).status).toBe(404);
    expect((await failure(admin.disableSession({ id: unknown }))).status).toBe(404);
    expect((await failure(admin.listIdentitySessions({ id: unknown }))).status).toBe(404);
    expect((await failure(admin.getSession({ id: 'not-a-uuid' }))).status).toBe(400);
  });
});

describe('settings flow: changing a password', () => {
  it('changes the password; the new one works at the next login, the old one not', async () => {
    const email = uniqueEmail('settings');
    await createWithPassword(email);
    const { data: session } = await login(email, GOOD_PASSWORD);

    const { data: flow } = await frontend.createNativeSettingsFlow({ xSessionToken: session.session_token });
    expectMatchesSchema('settingsFlow', flow);
    expect(flow.identity.id).toBe(session.session.identity!.id);
    const { data: fetched } = await frontend.getSettingsFlow({ id: flow.id, xSessionToken: session.session_token });
    expectMatchesSchema('settingsFlow', fetched);

    const same = await failure(
      frontend.updateSettingsFlow({ flow: flow.id, xSessionToken: session.session_token, updateSettingsFlowBody: { method: 'password', password: GOOD_PASSWORD } }),
    );
    expect(same.status).toBe(400);
    expectMatchesSchema('settingsFlow', same.data);
    const passwordNode = same.data.ui.nodes.find((n: any) => n.attributes.name === 'password');
    expect(passwordNode.messages.map((m: any) => m.id)).toEqual([4000039]);

    const short = await failure(
      frontend.updateSettingsFlow({ flow: flow.id, xSessionToken: session.session_token, updateSettingsFlowBody: { method: 'password', password: 'short' } }),
    );
    expect(short.data.ui.nodes.find((n: any) => n.attributes.name === 'password').messages.map((m: any) => m.id)).toEqual([4000032]);

    const newPassword = 'a brand new passphrase 77';
    const ok = await frontend.updateSettingsFlow({
      flow: flow.id,
      xSessionToken: session.session_token,
      updateSettingsFlowBody: { method: 'password', password: newPassword },
    });
    expect(ok.status).toBe(200);
    expectMatchesSchema('settingsFlow', ok.data);
    expect(ok.data.state).toBe('success');
    expect(ok.data.ui.messages).toEqual([{ id: 1050001, text: 'Your changes have been saved!', type: 'success' }]);

    expect((await login(email, newPassword)).status).toBe(200);
    expect((await failure(login(email, GOOD_PASSWORD))).status).toBe(400);
  });

  it('needs a session (401 session_inactive) and the flow of the same identity (403)', async () => {
    const none = await failure(frontend.createNativeSettingsFlow({}));
    expect(none.status).toBe(401);
    expectMatchesSchema('errorGeneric', none.data);
    expect(none.data.error.id).toBe('session_inactive');

    const a = await createWithPassword();
    const b = await createWithPassword();
    const sa = (await login(a.email, GOOD_PASSWORD)).data.session_token!;
    const sb = (await login(b.email, GOOD_PASSWORD)).data.session_token!;
    const { data: flow } = await frontend.createNativeSettingsFlow({ xSessionToken: sa });
    const other = await failure(
      frontend.updateSettingsFlow({ flow: flow.id, xSessionToken: sb, updateSettingsFlowBody: { method: 'password', password: 'another passphrase 99' } }),
    );
    expect(other.status).toBe(403);
    const anonymous = await failure(frontend.updateSettingsFlow({ flow: flow.id, updateSettingsFlowBody: { method: 'password', password: 'x' } }));
    expect(anonymous.status).toBe(401);
  });
});

describe('settings flow: privileged session', () => {
  const { client, store, app } = testStore();
  afterAll(() => client.destroy());

  it('refuses a password change with 403 session_refresh_required when the login is older than the max age', async () => {
    const { identity } = await createWithPassword();
    // A session authenticated two hours ago, written through the real repository.
    const stored = await store.identities.getWithCredentials(identity.id);
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    const issued = app.sessionService.issue(stored!, {}, twoHoursAgo);
    await store.commit(store.sessions.add({ ...issued.session, expiresAt: new Date(Date.now() + 3600_000) }, issued.tokenHash));

    const { data: flow } = await frontend.createNativeSettingsFlow({ xSessionToken: issued.token });
    const res = await failure(
      frontend.updateSettingsFlow({ flow: flow.id, xSessionToken: issued.token, updateSettingsFlowBody: { method: 'password', password: 'a fresh passphrase 123' } }),
    );
    expect(res.status).toBe(403);
    expectMatchesSchema('errorGeneric', res.data);
    expect(res.data.error).toMatchObject({ id: 'session_refresh_required', code: 403 });
  });
});
