/**
 * Password hashing with bcryptjs (async API, so the event loop keeps serving while it works).
 * Every hash and compare runs in a span tagged with the work factor actually used.
 */
import bcrypt from 'bcryptjs';
import { withSpan } from '../tracing/span.js';

/** bcrypt only reads the first 72 bytes of a password; longer ones are refused upstream, never truncated. */
export const BCRYPT_MAX_PASSWORD_BYTES = 72;
const BCRYPT_HASH = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/;

export interface PasswordHasher {
  readonly cost: number;
  hash(password: string): Promise<string>;
  compare(password: string, hash: string): Promise<boolean>;
  /** Spends one compare at the configured cost without a real hash: unknown identifiers cost what a wrong password costs. */
  compareWithDummy(password: string): Promise<false>;
}

/** The cost encoded in a bcrypt hash, or undefined if it is not a bcrypt hash we accept. */
export function bcryptCostOf(hash: string): number | undefined {
  const match = BCRYPT_HASH.exec(hash);
  return match ? Number(match[1]) : undefined;
}

export function createBcryptHasher(cost: number): PasswordHasher {
  // A well-formed hash at the configured cost whose digest no password produces: comparing against it costs
  // exactly one bcrypt run at that cost, and computing it needs no hashing at cold start.
  const dummyHash = `$2b$${String(cost).padStart(2, '0')}$${'KratosLambdaDummySaltx'}${'.'.repeat(31)}`;

  const compare = (password: string, hash: string) =>
    withSpan(
      'bcrypt.compare',
      { 'bcrypt.workfactor': bcryptCostOf(hash) ?? -1, 'hash.type': 'bcrypt' },
      () => bcrypt.compare(password, hash),
    );

  return {
    cost,
    hash: (password) =>
      withSpan('bcrypt.hash', { 'bcrypt.workfactor': cost, 'hash.type': 'bcrypt' }, () => bcrypt.hash(password, cost)),
    compare,
    compareWithDummy: async (password) => {
      await compare(password, dummyHash);
      return false;
    },
  };
}
