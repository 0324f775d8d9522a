/**
 * Identities stored before identities had addresses carry neither `verifiable_addresses` nor `recovery_addresses`,
 * nor the address claims recovery looks them up by: recovery sends them nothing. This gives each one its addresses
 * from its traits and schema (unverified), through the repository's ordinary update, so the claims are written in the
 * same transaction. Run once after upgrading (`npm run backfill-addresses`); it is idempotent.
 */
import { ConcurrentUpdateError, DuplicateIdentifierError } from '../errors/index.js';
import type { Committer } from '../util/writes.js';
import { addressesFor } from './addresses.js';
import { revised } from './model.js';
import type { IdentityRepository } from './repository.js';
import type { SchemaRegistry } from './schema.js';

export interface BackfillReport {
  scanned: number;
  updated: number;
  /** Ids whose address another identity already holds: left as they were, for the operator to resolve. */
  conflicts: string[];
  /** Ids whose schema is not configured any more. */
  unknownSchema: string[];
}

export async function backfillAddresses(store: Committer & { identities: IdentityRepository }, schemas: SchemaRegistry, now: Date): Promise<BackfillReport> {
  const { identities } = store;
  const report: BackfillReport = { scanned: 0, updated: 0, conflicts: [], unknownSchema: [] };
  let after: string | undefined;
  do {
    const page = await identities.list({ pageSize: 100, after }, true);
    for (const identity of page.items) {
      report.scanned += 1;
      if (identity.verifiableAddresses && identity.recoveryAddresses) continue;
      const schema = schemas.get(identity.schemaId);
      if (!schema) {
        report.unknownSchema.push(identity.id);
        continue;
      }
      try {
        await store.commit(identities.update(revised({ ...identity, ...addressesFor(schema, identity.traits, now, identity) }, identity), identity));
        report.updated += 1;
      } catch (error) {
        if (error instanceof DuplicateIdentifierError) report.conflicts.push(identity.id);
        else if (!(error instanceof ConcurrentUpdateError)) throw error; // changed meanwhile: that save wrote its addresses
      }
    }
    after = page.next;
  } while (after);
  return report;
}
