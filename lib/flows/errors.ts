/**
 * Self-service errors a browser is sent to see (Kratos's error containers): a browser flow that failed with more than
 * a validation error is redirected to the error UI with `?id=`, and the UI reads the error back from
 * `GET /self-service/errors?id=`.
 */
import { randomUUID } from 'node:crypto';
import { KratosError, NotFoundError } from '../errors/index.js';
import { canonicalUuid } from '../util/ids.js';

export interface SelfServiceError {
  id: string;
  /** The error object of Kratos's envelope (`{id?, code, status, reason?, details?, message}`). */
  error: Record<string, unknown>;
  createdAt: Date;
  expiresAt: Date;
}

export interface SelfServiceErrorRepository {
  create(error: SelfServiceError): Promise<void>;
  get(id: string): Promise<SelfServiceError | undefined>;
}

/** Stores what `error` answers, for the error UI; its id. */
export async function storeSelfServiceError(errors: SelfServiceErrorRepository, error: KratosError, lifespanMs: number, now: Date): Promise<string> {
  const id = randomUUID();
  const body = error.body() as { error?: Record<string, unknown> };
  await errors.create({ id, error: body.error ?? (body as Record<string, unknown>), createdAt: now, expiresAt: new Date(now.getTime() + lifespanMs) });
  return id;
}

const STUB_500 = {
  code: 500,
  status: 'Internal Server Error',
  reason: 'This is a stub error.',
  message: 'An internal server error occurred, please contact the system administrator',
};

/** `GET /self-service/errors?id=`: the stored error (Kratos's `stub:500` too); 404 when unknown or expired. */
export async function getSelfServiceError(errors: SelfServiceErrorRepository, rawId: string | undefined, now: Date): Promise<Record<string, unknown>> {
  if (rawId === 'stub:500') return { id: randomUUID(), error: STUB_500, created_at: now.toISOString(), updated_at: now.toISOString() };
  const id = canonicalUuid(rawId);
  const found = id ? await errors.get(id) : undefined;
  if (!found || found.expiresAt.getTime() <= now.getTime()) throw new NotFoundError('Unable to locate the resource');
  return { id: found.id, error: found.error, created_at: found.createdAt.toISOString(), updated_at: found.createdAt.toISOString() };
}
