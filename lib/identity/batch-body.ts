/**
 * The body of Kratos's `PATCH /admin/identities` (batchPatchIdentities): `{identities: [{create, patch_id?}]}`, at most
 * 1,000 patches, at most 200 of them with a clear-text password (each costs a bcrypt hash in the request). What is
 * wrong with the envelope refuses the whole call (400, as Kratos); what is wrong inside one `create` is that
 * identity's own error (lib/identity/admin-service.ts `batchCreate`).
 */
import { BadRequestError } from '../errors/index.js';
import { canonicalUuid } from '../util/ids.js';
import { isPlainObject } from '../util/objects.js';

/** Kratos's BatchPatchIdentitiesLimit and BatchPatchIdentitiesWithPasswordLimit (identity/handler.go). */
export const BATCH_PATCH_LIMIT = 1000;
export const BATCH_CLEAR_PASSWORD_LIMIT = 200;

export interface BatchPatch {
  /** The caller's id of this patch, echoed in its result. */
  patchId?: string;
  /** A create-identity body (decoded later, per identity); undefined when the patch has none. */
  create?: unknown;
}

const hasClearPassword = (create: unknown): boolean => {
  const config = isPlainObject(create) && isPlainObject(create.credentials) && isPlainObject(create.credentials.password) ? create.credentials.password.config : undefined;
  return isPlainObject(config) && typeof config.password === 'string' && config.password !== '';
};

export function decodeBatchBody(body: unknown): BatchPatch[] {
  if (!isPlainObject(body)) throw new BadRequestError('The request body must be a JSON object.');
  for (const key of Object.keys(body)) {
    if (key !== 'identities') throw new BadRequestError(`json: unknown field "${key}"`);
  }
  const raw = body.identities ?? [];
  if (!Array.isArray(raw)) throw new BadRequestError('identities must be an array');
  if (raw.length > BATCH_PATCH_LIMIT) {
    throw new BadRequestError(`The maximum number of identities per request that can be created or deleted at once is ${BATCH_PATCH_LIMIT}.`);
  }
  const patches = raw.map((patch, index): BatchPatch => {
    if (!isPlainObject(patch)) throw new BadRequestError(`identities[${index}] must be an object`);
    for (const key of Object.keys(patch)) {
      if (key !== 'create' && key !== 'patch_id') throw new BadRequestError(`json: unknown field "${key}"`);
    }
    let patchId: string | undefined;
    if (patch.patch_id !== undefined && patch.patch_id !== null) {
      patchId = typeof patch.patch_id === 'string' ? canonicalUuid(patch.patch_id) : undefined;
      if (!patchId) throw new BadRequestError(`identities[${index}].patch_id must be a UUID`);
    }
    return { ...(patchId ? { patchId } : {}), ...(patch.create !== undefined && patch.create !== null ? { create: patch.create } : {}) };
  });
  if (patches.filter((patch) => hasClearPassword(patch.create)).length > BATCH_CLEAR_PASSWORD_LIMIT) {
    throw new BadRequestError(`The maximum number of identities per request that can be created with a plaintext password is ${BATCH_CLEAR_PASSWORD_LIMIT}.`);
  }
  return patches;
}
