/** The address backfill over DynamoDB Local, on a table of its own (it rewrites every identity it finds). */
import { randomBytes, randomUUID } from 'node:crypto';
import { backfillAddresses } from '../../lib/identity/backfill.js';
import type { Identity } from '../../lib/identity/model.js';
import { builtinSchema, SchemaRegistry } from '../../lib/identity/schema.js';
import { createDynamoClient } from '../../lib/store/dynamodb/client.js';
import { createDynamoStore } from '../../lib/store/dynamodb/store.js';
import { ensureTable } from '../../lib/store/dynamodb/table.js';
import { testConfig } from '../support/store.js';

describe('backfilling addresses of identities stored before addresses existed', () => {
  it('gives them their addresses and claims, once, and leaves newer identities alone', async () => {
    const config = testConfig();
    const client = createDynamoClient(config.dynamodb);
    const table = `kratos-backfill-${randomBytes(3).toString('hex')}`;
    try {
      await ensureTable(client, table);
      const store = createDynamoStore(client, table);
      const now = new Date();
      const legacy = (email: string): Identity => ({
        id: randomUUID(),
        schemaId: 'default',
        state: 'active',
        traits: { email },
        metadataPublic: null,
        metadataAdmin: null,
        createdAt: now,
        updatedAt: now,
        identifiers: [email],
      });
      const old = legacy(`old-${randomBytes(3).toString('hex')}@example.com`);
      const other = { ...legacy(`new-${randomBytes(3).toString('hex')}@example.com`), verifiableAddresses: [], recoveryAddresses: [] };
      await store.commit(store.identities.create(old), store.identities.create(other));
      expect(await store.identities.findIdByAddress('recovery', old.identifiers![0])).toBeUndefined();

      const schemas = new SchemaRegistry([builtinSchema()], 'default');
      const first = await backfillAddresses(store, schemas, now);
      expect(first).toEqual({ scanned: 2, updated: 1, conflicts: [], unknownSchema: [] });
      expect(await store.identities.findIdByAddress('recovery', old.identifiers![0])).toBe(old.id);
      expect(await store.identities.findIdByAddress('verification', old.identifiers![0])).toBe(old.id);
      const stored = await store.identities.get(old.id);
      expect(stored!.verifiableAddresses).toEqual([expect.objectContaining({ value: old.identifiers![0], verified: false, status: 'pending' })]);
      expect((await backfillAddresses(store, schemas, now)).updated).toBe(0);
    } finally {
      client.destroy();
    }
  });
});
