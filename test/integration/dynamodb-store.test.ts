/**
 * The DynamoDB store against a real DynamoDB Local: the storage contract (the memory store is held to the same), and
 * what only a real table shows (no item without its claim, no token stored). On a table of its own: the shared
 * serverless-offline's courier sweeps the shared table's queue and would take the contract's messages.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { createApp } from '../../lib/app.js';
import { createDynamoClient } from '../../lib/store/dynamodb/client.js';
import { createDynamoStore } from '../../lib/store/dynamodb/store.js';
import { ensureTable } from '../../lib/store/dynamodb/table.js';
import { describeStoreContract } from '../contract/store-contract.js';
import { scanTable, testConfig } from '../support/store.js';

const table = `kratos-contract-${randomBytes(3).toString('hex')}`;
const config = testConfig({ DYNAMODB_TABLE_NAME: table });
const client = createDynamoClient(config.dynamodb);
const store = createDynamoStore(client, table);
beforeAll(() => ensureTable(client, table));
afterAll(() => client.destroy());


describeStoreContract('DynamoDB Local', () => store);

describe('the DynamoDB table after concurrent registrations of one identifier', () => {
  const API_CALLER = { requestUrl: 'http://x/', hasCookie: false, browser: { anyCookie: false, ajax: false, json: true } };
  const app = createApp(config, store);

  it('holds exactly one identity, one claim, one session, no orphans and no token (100 at once, mixed case)', async () => {
    const email = `race-${randomUUID().slice(0, 8)}@example.com`;
    const variants = Array.from({ length: 100 }, (_, i) => [...email].map((c, j) => ((i >> j % 6) & 1 ? c.toUpperCase() : c)).join(''));
    const flows = await Promise.all(variants.map(() => app.registration.init(API_CALLER, new Date())));
    const results = await Promise.allSettled(
      variants.map((variant, i) =>
        app.registration.submit(flows[i].id, { method: 'password', password: 'correct horse battery staple', traits: { email: variant } }, API_CALLER, new Date()),
      ),
    );
    const successes = results.filter((r) => r.status === 'fulfilled');
    expect(successes).toHaveLength(1);
    // Every loser is told the identifier exists (4000007), not a server error.
    for (const failure of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) {
      expect(failure.reason.name).toBe('FlowValidationError');
      expect(failure.reason.flow.ui.messages.map((m: { id: number }) => m.id)).toEqual([4000007]);
    }

    const items = await scanTable(client, table);
    const identities = items.filter((i) => i.kind?.S === 'identity' && JSON.parse(i.traits.S!).email.toLowerCase() === email);
    const claims = items.filter((i) => i.pk.S === `IDENTIFIER#password#${email}`);
    const identityIds = new Set(identities.map((i) => i.id.S));
    const sessions = items.filter((i) => i.kind?.S === 'session' && identityIds.has(i.identity_id.S));
    expect(identities).toHaveLength(1);
    expect(claims).toHaveLength(1);
    expect(claims[0].identity_id.S).toBe(identities[0].id.S);
    expect(sessions).toHaveLength(1);
    // No identity anywhere in the table lacks its identifier claim, and no claim points nowhere.
    const allIdentityIds = new Set(items.filter((i) => i.kind?.S === 'identity').map((i) => i.id.S));
    const claimed = new Set(items.filter((i) => i.kind?.S === 'identifier').map((i) => i.identity_id.S));
    expect([...allIdentityIds].filter((id) => !claimed.has(id))).toEqual([]);
    expect([...claimed].filter((id) => !allIdentityIds.has(id))).toEqual([]);
    // Sessions are stored under the hash of their token, never the token.
    const token = ((successes[0] as PromiseFulfilledResult<{ body?: unknown }>).value.body as { session_token: string }).session_token;
    expect(JSON.stringify(items)).not.toContain(token);
  });
});

describe("an identity's sessions, found without gsi2", () => {
  const app = createApp(config, store);
  const API = { requestUrl: 'http://x/', hasCookie: false, browser: { anyCookie: false, ajax: false, json: true } };

  /** A session written as registration writes it, then taken out of gsi2, as a session a moment old may not be in it yet. */
  async function unindexedSession() {
    const email = `unindexed-${randomUUID().slice(0, 8)}@example.com`;
    const flow = await app.registration.init(API, new Date());
    const answer = await app.registration.submit(flow.id, { method: 'password', password: 'correct horse battery staple', traits: { email } }, API, new Date());
    const body = answer.body as { session_token: string; identity: { id: string } };
    const items = await scanTable(client, table);
    const session = items.find((item) => item.kind?.S === 'session' && item.identity_id?.S === body.identity.id)!;
    await client.send(new UpdateItemCommand({ TableName: table, Key: { pk: session.pk }, UpdateExpression: 'REMOVE gsi2pk, gsi2sk' }));
    return { token: body.session_token, identityId: body.identity.id, traits: { email } };
  }

  it('refuses the session of an identity disabled a moment after the session was made', async () => {
    const { token, identityId, traits } = await unindexedSession();
    await expect(app.sessionService.findActive(token, new Date())).resolves.toBeDefined();
    await app.identityAdmin.replace(identityId, { schema_id: 'default', traits, state: 'inactive' }, new Date());
    await expect(app.sessionService.findActive(token, new Date())).resolves.toBeUndefined();
  });

  it('deletes the sessions of a deleted identity, and revokes them all on request', async () => {
    const deleted = await unindexedSession();
    await app.identityAdmin.delete(deleted.identityId);
    await expect(app.sessionService.findActive(deleted.token, new Date())).resolves.toBeUndefined();
    const revoked = await unindexedSession();
    await expect(store.sessions.revokeAllOfIdentity(revoked.identityId)).resolves.toBe(1);
    await expect(app.sessionService.findActive(revoked.token, new Date())).resolves.toBeUndefined();
  });
});
