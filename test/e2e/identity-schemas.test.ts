/**
 * Identity schemas of the operator's own, end to end: the shared serverless-offline runs with IDENTITY_SCHEMAS from
 * the environment (test/support/env.ts: Kratos's quickstart schema as default, a selectable customer schema), driven
 * with the official SDK. Registration nodes and messages, admin create with schema_id, /schemas, the settings
 * profile method, and an identifier change racing a registration of the same identifier.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createApp } from '../../lib/app.js';
import { loadSchemaRegistry } from '../../lib/identity/schemas.js';
import { createDynamoClient } from '../../lib/store/dynamodb/client.js';
import { createDynamoStore } from '../../lib/store/dynamodb/store.js';
import { SCHEMA_ENV } from '../support/env.js';
import { failure, frontendApi, GOOD_PASSWORD, identityApi, nodeMessages, uniqueEmail } from '../support/http.js';
import { expectMatchesSchema } from '../support/openapi.js';
import { testConfig } from '../support/store.js';

const frontend = frontendApi();
const admin = identityApi();
const customerDocument = JSON.parse(readFileSync('test/fixtures/customer.schema.json', 'utf8'));

const goodTraits = (email: string) => ({ email, name: { first: 'Ada', last: 'Lovelace' }, plan: 'team', newsletter: true, phone: '+44 20 7946 0958', age: 36 });

async function registerCustomer(traits: Record<string, unknown>) {
  const { data: flow } = await frontend.createNativeRegistrationFlow({ identitySchema: 'customer' });
  return frontend.updateRegistrationFlow({ flow: flow.id, updateRegistrationFlowBody: { method: 'password', password: GOOD_PASSWORD, traits } });
}

describe('configured identity schemas', () => {
  it('lists every configured schema and serves each by id and by the base64url id of schema_url; 404 for another', async () => {
    const { data } = await admin.listIdentitySchemas();
    expect(data.map((s) => s.id)).toEqual(['default', 'customer']);
    expect(data[1].schema).toEqual(customerDocument);
    expect((await admin.getIdentitySchema({ id: 'customer' })).data).toEqual(customerDocument);
    expect((await admin.getIdentitySchema({ id: Buffer.from('customer').toString('base64url') })).data).toEqual(customerDocument);
    const missing = await failure(admin.getIdentitySchema({ id: 'nobody' }));
    expect(missing.status).toBe(404);
    expectMatchesSchema('errorGeneric', missing.data);
  });

  it('renders a node for every trait of the selected schema, in schema order, titled, enums with options', async () => {
    const { data: flow } = await frontend.createNativeRegistrationFlow({ identitySchema: 'customer' });
    expectMatchesSchema('registrationFlow', flow);
    expect((flow as any).identity_schema).toBe('customer');
    const traits = flow.ui.nodes.filter((n: any) => n.attributes.name?.startsWith('traits.'));
    expect(traits.map((n: any) => [n.attributes.name, n.attributes.type, n.meta.label?.text])).toEqual([
      ['traits.email', 'email', 'E-Mail'],
      ['traits.name.first', 'text', 'First name'],
      ['traits.name.last', 'text', 'Last name'],
      ['traits.plan', 'text', 'Plan'],
      ['traits.newsletter', 'checkbox', 'Send me the newsletter'],
      ['traits.phone', 'tel', 'Phone'],
      ['traits.age', 'number', 'Age'],
    ]);
    const byName = Object.fromEntries(traits.map((n: any) => [n.attributes.name, n.attributes]));
    expect(byName['traits.plan'].options).toEqual([{ value: 'free' }, { value: 'team' }, { value: 'enterprise' }]);
    expect(byName['traits.email'].required).toBe(true);
    expect(byName['traits.name.first'].required).toBe(true);
    expect(byName['traits.name.last'].required).toBeUndefined();

    // The default schema (Kratos's quickstart) when none is asked for; a schema that is not configured, or not selectable, is refused.
    const { data: plain } = await frontend.createNativeRegistrationFlow();
    expect(plain.ui.nodes.filter((n: any) => n.attributes.name?.startsWith('traits.')).map((n: any) => n.attributes.name)).toEqual(['traits.email', 'traits.name.first', 'traits.name.last']);
    const unknown = await failure(frontend.createNativeRegistrationFlow({ identitySchema: 'nobody' }));
    expect(unknown.status).toBe(400);
    expectMatchesSchema('errorGeneric', unknown.data);
  });

  it('puts each validation message on its field with Kratos ids, keeping what was entered', async () => {
    const email = uniqueEmail('schema-bad');
    const res = await failure(registerCustomer({ email, name: { last: 'L' }, plan: 'platinum', phone: 'call me', age: 10 }));
    expect(res.status).toBe(400);
    expectMatchesSchema('registrationFlow', res.data);
    const ids = (name: string) => nodeMessages(res.data, name).map((m) => m.id);
    expect(ids('traits.name.first')).toEqual([4000002]);
    expect(nodeMessages(res.data, 'traits.name.first')[0].text).toBe('Property first is missing.');
    expect(ids('traits.plan')).toEqual([4000001]);
    expect(ids('traits.phone')).toEqual([4000041]);
    expect(ids('traits.age')).toEqual([4000018]);
    expect(nodeMessages(res.data, 'traits.age')[0].text).toBe('must be >= 16 but found 10');
    expect(ids('traits.email')).toEqual([]);
    const value = (name: string) => res.data.ui.nodes.find((n: any) => n.attributes.name === name)?.attributes.value;
    expect(value('traits.email')).toBe(email);
    expect(value('traits.name.last')).toBe('L');
    // Nothing was created: the address is still free.
    expect((await registerCustomer(goodTraits(email))).status).toBe(200);
  });

  it('registers with the customer schema: the identity carries its schema id, url and traits', async () => {
    const email = uniqueEmail('schema-ok');
    const { data } = await registerCustomer(goodTraits(email));
    const identity = data.session!.identity!;
    expect(identity.schema_id).toBe('customer');
    expect(identity.schema_url).toMatch(new RegExp(`/schemas/${Buffer.from('customer').toString('base64url')}$`));
    expect(identity.traits).toEqual(goodTraits(email));
    const { data: fetched } = await admin.getIdentitySchema({ id: identity.schema_url.split('/').pop()! });
    expect(fetched).toEqual(customerDocument);
  });

  it('creates identities through the admin API with schema_id, validated against that schema', async () => {
    const email = uniqueEmail('schema-admin');
    const created = await admin.createIdentity({ createIdentityBody: { schema_id: 'customer', traits: goodTraits(email) } });
    expect(created.status).toBe(201);
    expectMatchesSchema('identity', created.data);
    expect(created.data.schema_id).toBe('customer');

    const invalid = await failure(admin.createIdentity({ createIdentityBody: { schema_id: 'customer', traits: { email: uniqueEmail('schema-admin'), name: { last: 'L' }, plan: 'team' } } }));
    expect(invalid.status).toBe(400);
    expectMatchesSchema('errorGeneric', invalid.data);
    expect(invalid.data.error.reason).toContain('first');

    // The quickstart schema refuses the customer traits (it allows no other properties).
    const wrongSchema = await failure(admin.createIdentity({ createIdentityBody: { schema_id: 'default', traits: goodTraits(uniqueEmail('schema-admin')) } }));
    expect(wrongSchema.status).toBe(400);
    const unknown = await failure(admin.createIdentity({ createIdentityBody: { schema_id: 'nobody', traits: { email: uniqueEmail('schema-admin') } } }));
    expect(unknown.status).toBe(400);
    expectMatchesSchema('errorGeneric', unknown.data);
  });
});

describe('the settings profile method', () => {
  async function signedUp() {
    const email = uniqueEmail('profile');
    const { data } = await registerCustomer(goodTraits(email));
    return { email, token: data.session_token! };
  }

  it('changes traits (1050001), renders the profile group first, and whoami shows the change', async () => {
    const { email, token } = await signedUp();
    const { data: flow } = await frontend.createNativeSettingsFlow({ xSessionToken: token });
    expect([...new Set(flow.ui.nodes.map((n: any) => n.group))]).toEqual(['default', 'profile', 'password']);
    expect(flow.ui.nodes.find((n: any) => n.attributes.name === 'traits.name.first')?.attributes).toMatchObject({ value: 'Ada' });

    const traits = { ...goodTraits(email), name: { first: 'Augusta', last: 'King' }, plan: 'enterprise', newsletter: false };
    const { data: done, status } = await frontend.updateSettingsFlow({ flow: flow.id, xSessionToken: token, updateSettingsFlowBody: { method: 'profile', traits } });
    expect(status).toBe(200);
    expectMatchesSchema('settingsFlow', done);
    expect(done.state).toBe('success');
    expect(done.ui.messages?.map((m) => m.id)).toEqual([1050001]);
    expect(done.identity.traits).toEqual(traits);
    expect((await frontend.toSession({ xSessionToken: token })).data.identity!.traits).toEqual(traits);
  });

  it('refuses invalid traits with messages on their fields and changes nothing', async () => {
    const { email, token } = await signedUp();
    const { data: flow } = await frontend.createNativeSettingsFlow({ xSessionToken: token });
    const res = await failure(
      frontend.updateSettingsFlow({ flow: flow.id, xSessionToken: token, updateSettingsFlowBody: { method: 'profile', traits: { ...goodTraits(email), email: 'nope', age: 3 } } }),
    );
    expect(res.status).toBe(400);
    expectMatchesSchema('settingsFlow', res.data);
    expect(nodeMessages(res.data, 'traits.email').map((m) => m.id)).toEqual([4000040]);
    expect(nodeMessages(res.data, 'traits.age').map((m) => m.id)).toEqual([4000018]);
    expect((await frontend.toSession({ xSessionToken: token })).data.identity!.traits).toEqual(goodTraits(email));
  });

  it('moves the identifier: the new one logs in, the old one is free again', async () => {
    const { email, token } = await signedUp();
    const renamed = uniqueEmail('profile-renamed');
    const { data: flow } = await frontend.createNativeSettingsFlow({ xSessionToken: token });
    await frontend.updateSettingsFlow({ flow: flow.id, xSessionToken: token, updateSettingsFlowBody: { method: 'profile', traits: { ...goodTraits(email), email: renamed } } });
    const { data: login } = await frontend.createNativeLoginFlow();
    const { data: session } = await frontend.updateLoginFlow({ flow: login.id, updateLoginFlowBody: { method: 'password', identifier: renamed, password: GOOD_PASSWORD } });
    expect(session.session.identity!.traits.email).toBe(renamed);
    expect((await registerCustomer(goodTraits(email))).status).toBe(200);
  });

  it('an identifier change racing a registration of the same identifier: exactly one wins', async () => {
    for (let round = 0; round < 3; round += 1) {
      const { email, token } = await signedUp();
      const contested = uniqueEmail('contested');
      const { data: flow } = await frontend.createNativeSettingsFlow({ xSessionToken: token });
      const { data: registration } = await frontend.createNativeRegistrationFlow({ identitySchema: 'customer' });
      const [change, register] = await Promise.allSettled([
        frontend.updateSettingsFlow({ flow: flow.id, xSessionToken: token, updateSettingsFlowBody: { method: 'profile', traits: { ...goodTraits(email), email: contested } } }),
        frontend.updateRegistrationFlow({ flow: registration.id, updateRegistrationFlowBody: { method: 'password', password: GOOD_PASSWORD, traits: goodTraits(contested) } }),
      ]);
      const won = [change, register].filter((r) => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      const lost = (change.status === 'rejected' ? change : register) as PromiseRejectedResult;
      expect(lost.reason.response.status).toBe(400);
      expect(JSON.stringify(lost.reason.response.data.ui)).toContain('4000007');
      // The contested address logs in to the winner only.
      const { data: login } = await frontend.createNativeLoginFlow();
      const { data: session } = await frontend.updateLoginFlow({ flow: login.id, updateLoginFlowBody: { method: 'password', identifier: contested, password: GOOD_PASSWORD } });
      const whoami = (await frontend.toSession({ xSessionToken: token })).data.identity!;
      if (change.status === 'fulfilled') expect(session.session.identity!.id).toBe(whoami.id);
      else {
        expect(session.session.identity!.id).not.toBe(whoami.id);
        expect(whoami.traits.email).toBe(email);
      }
    }
  });
});

describe('the settings profile method on an old session', () => {
  let client: ReturnType<typeof createDynamoClient>;
  afterAll(() => client?.destroy());

  it('changes other traits, but an identifier change needs a fresh login (403 session_refresh_required)', async () => {
    const config = testConfig(SCHEMA_ENV);
    client = createDynamoClient(config.dynamodb);
    const store = createDynamoStore(client, config.dynamodb.tableName);
    const app = createApp(config, store, await loadSchemaRegistry(config.identity));
    const email = uniqueEmail('profile-old');
    const { data: created } = await admin.createIdentity({ createIdentityBody: { schema_id: 'customer', traits: goodTraits(email), credentials: { password: { config: { password: GOOD_PASSWORD } } } } });
    // A session authenticated two hours ago (the privileged age is an hour), written through the real repository.
    const stored = await store.identities.getWithCredentials(created.id);
    const issued = app.sessionService.issue(stored!, {}, new Date(Date.now() - 2 * 3600_000));
    await store.commit(store.sessions.add({ ...issued.session, expiresAt: new Date(Date.now() + 3600_000) }, issued.tokenHash));

    const { data: flow } = await frontend.createNativeSettingsFlow({ xSessionToken: issued.token });
    const renamed = { ...goodTraits(email), name: { first: 'Ada', last: 'Byron' } };
    const ok = await frontend.updateSettingsFlow({ flow: flow.id, xSessionToken: issued.token, updateSettingsFlowBody: { method: 'profile', traits: renamed } });
    expect(ok.data.identity.traits).toEqual(renamed);

    const { data: again } = await frontend.createNativeSettingsFlow({ xSessionToken: issued.token });
    const res = await failure(
      frontend.updateSettingsFlow({ flow: again.id, xSessionToken: issued.token, updateSettingsFlowBody: { method: 'profile', traits: { ...renamed, email: uniqueEmail('profile-old') } } }),
    );
    expect(res.status).toBe(403);
    expectMatchesSchema('errorGeneric', res.data);
    expect(res.data.error).toMatchObject({ id: 'session_refresh_required', code: 403 });
    expect((await frontend.toSession({ xSessionToken: issued.token })).data.identity!.traits.email).toBe(email);
  });
});

describe('a recovery address change on an old session (in-process, over DynamoDB Local)', () => {
  it('needs a fresh login even when the address is no identifier, as Kratos', async () => {
    const staff = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: {
        traits: {
          type: 'object',
          properties: {
            username: { type: 'string', 'ory.sh/kratos': { credentials: { password: { identifier: true } } } },
            email: { type: 'string', format: 'email', 'ory.sh/kratos': { recovery: { via: 'email' } } },
            team: { type: 'string' },
          },
          required: ['username'],
        },
      },
    };
    const env = { IDENTITY_SCHEMAS: JSON.stringify([{ id: 'staff', url: `base64://${Buffer.from(JSON.stringify(staff)).toString('base64')}` }]) };
    const config = testConfig(env);
    const client = createDynamoClient(config.dynamodb);
    try {
      const store = createDynamoStore(client, config.dynamodb.tableName);
      const app = createApp(config, store, await loadSchemaRegistry(config.identity));
      const username = `staff-${randomUUID().slice(0, 8)}`;
      const email = uniqueEmail('staff');
      const created = await app.identityAdmin.create({ schema_id: 'staff', traits: { username, email, team: 'a' }, credentials: { password: { config: { password: GOOD_PASSWORD } } } }, new Date());
      expect(created.recoveryAddresses?.map((a) => a.value)).toEqual([email]);
      const stored = await store.identities.getWithCredentials(created.id);
      const issued = app.sessionService.issue(stored!, {}, new Date(Date.now() - 2 * 3600_000));
      await store.commit(store.sessions.add({ ...issued.session, expiresAt: new Date(Date.now() + 3600_000) }, issued.tokenHash));
      const request = { requestUrl: 'http://127.0.0.1/self-service/settings/api', sessionToken: issued.token, hasCookie: false, browser: { anyCookie: false, ajax: false, json: true } };
      const flow = await app.settings.init(request, new Date());
      const submit = (traits: Record<string, unknown>) => app.settings.submit(flow.id, { method: 'profile', traits }, request, new Date()).then((a) => a.status, (e: Error) => e.name);
      expect(await submit({ username, email, team: 'b' })).toBe(200);
      expect(await submit({ username, email: uniqueEmail('attacker'), team: 'b' })).toBe('SessionRefreshRequiredError');
      expect((await store.identities.get(created.id))!.recoveryAddresses?.map((a) => a.value)).toEqual([email]);
    } finally {
      client.destroy();
    }
  });
});
