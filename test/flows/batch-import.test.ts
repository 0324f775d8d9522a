/** PATCH /admin/identities (Kratos's batchPatchIdentities) in-process on the memory store. */
import { randomUUID } from 'node:crypto';
import { login, memoryApp, PASSWORD, rejection, uniqueEmail } from '../support/flows.js';

const BCRYPT_OF_PASSWORD = '$2b$04$G3uZUpWkdJqdyFqfVQeux.9zBToToU1iTpKSm.Y3.I.cV6qSUL/nm';

describe('batch import (PATCH /admin/identities)', () => {
  const { app, store } = memoryApp();
  const create = (email: string, over: Record<string, unknown> = {}) => ({ schema_id: 'default', traits: { email }, ...over });

  it('creates every identity of the batch, answering per patch in order with its patch_id and the new id', async () => {
    const emails = [uniqueEmail('batch'), uniqueEmail('batch'), uniqueEmail('batch')];
    const patchIds = emails.map(() => randomUUID());
    const results = await app.identityAdmin.batchCreate(
      { identities: emails.map((email, i) => ({ patch_id: patchIds[i].toUpperCase(), create: create(email, { credentials: { password: { config: { hashed_password: BCRYPT_OF_PASSWORD } } } }) })) },
      new Date(),
    );
    expect(results.map((r) => r.action)).toEqual(['create', 'create', 'create']);
    expect(results.map((r) => r.patch_id)).toEqual(patchIds);
    for (const [i, result] of results.entries()) {
      const stored = await store.identities.getWithCredentials(result.identity!);
      expect(stored).toMatchObject({ traits: { email: emails[i] }, password: { hashedPassword: BCRYPT_OF_PASSWORD } });
      await expect(store.identities.findIdByIdentifier(emails[i])).resolves.toBe(result.identity);
    }
    // An imported hash signs in.
    expect((await login(app, emails[0], PASSWORD)).status).toBe(200);
  });

  it('answers an identity the body gets wrong, or one that clashes, as that patch’s error; the others are created', async () => {
    const taken = uniqueEmail('taken');
    await app.identityAdmin.create(create(taken), new Date());
    const twice = uniqueEmail('twice');
    const fresh = uniqueEmail('fresh');
    const results = await app.identityAdmin.batchCreate(
      {
        identities: [
          { create: create(taken.toUpperCase()) },
          { create: create('not an address') },
          { create: { ...create(uniqueEmail('bad-hash')), credentials: { password: { config: { hashed_password: 'plaintext' } } } } },
          { create: create(twice) },
          { create: create(twice) },
          { patch_id: randomUUID() },
          { create: create(fresh) },
        ],
      },
      new Date(),
    );
    expect(results[0]).toEqual({ action: 'error', error: { code: 409, status: 'Conflict', message: 'Unable to insert or update resource because a resource with that value exists already' } });
    expect(results[1]).toMatchObject({ action: 'error', error: { code: 400, status: 'Bad Request', reason: expect.stringContaining('traits') } });
    expect(results[2]).toMatchObject({ action: 'error', error: { code: 400 } });
    // Of two creates of one identifier in one batch, the first is made.
    expect([results[3].action, results[4].action]).toEqual(['create', 'error']);
    expect(results[5]).toMatchObject({ action: 'error', patch_id: expect.any(String), error: { code: 400 } });
    expect(results[6]).toMatchObject({ action: 'create', identity: expect.any(String) });
    expect(results.filter((r) => r.action === 'error').every((r) => r.identity === undefined)).toBe(true);
  });

  it('writes each identity whole or not at all: a clash on its external id leaves no claim of its identifier', async () => {
    const externalId = `legacy-${randomUUID()}`;
    await app.identityAdmin.create(create(uniqueEmail('first'), { external_id: externalId }), new Date());
    const email = uniqueEmail('second');
    const [result] = await app.identityAdmin.batchCreate({ identities: [{ create: create(email, { external_id: externalId }) }] }, new Date());
    expect(result).toMatchObject({ action: 'error', error: { code: 409 } });
    await expect(store.identities.findIdByIdentifier(email)).resolves.toBeUndefined();
    await expect(store.identities.findIdByAddress('recovery', email)).resolves.toBeUndefined();
  });

  it('refuses the whole call for a bad envelope, over 1,000 patches, or over 200 clear-text passwords (400, nothing written)', async () => {
    const before = store.tables.identities.size;
    const refusals: [unknown, string][] = [
      [[], 'must be a JSON object'],
      [{ identities: {} }, 'identities must be an array'],
      [{ identities: [], extra: 1 }, 'unknown field "extra"'],
      [{ identities: [{ create: create(uniqueEmail()), other: 1 }] }, 'unknown field "other"'],
      [{ identities: [{ patch_id: 'not-a-uuid', create: create(uniqueEmail()) }] }, 'patch_id must be a UUID'],
      [{ identities: Array.from({ length: 1001 }, () => ({ create: create(uniqueEmail()) })) }, 'at once is 1000.'],
      [{ identities: Array.from({ length: 201 }, () => ({ create: create(uniqueEmail(), { credentials: { password: { config: { password: PASSWORD } } } }) })) }, 'plaintext password is 200.'],
    ];
    for (const [body, reason] of refusals) {
      await expect(rejection(app.identityAdmin.batchCreate(body, new Date()))).resolves.toMatchObject({ status: 400, reason: expect.stringContaining(reason) });
    }
    expect(store.tables.identities.size).toBe(before);
    await expect(app.identityAdmin.batchCreate({}, new Date())).resolves.toEqual([]);
  });

  it('creates 1,000 at once', async () => {
    const results = await app.identityAdmin.batchCreate({ identities: Array.from({ length: 1000 }, () => ({ create: create(uniqueEmail('many')) })) }, new Date());
    expect(results.filter((r) => r.action === 'create')).toHaveLength(1000);
    expect(new Set(results.map((r) => r.identity)).size).toBe(1000);
  });
});
