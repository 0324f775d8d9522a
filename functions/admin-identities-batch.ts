import { appAdminAttempts, appIdentityAdmin } from '../lib/app.js';
import { adminFunction } from '../lib/http/admin.js';
import { parseBody } from '../lib/http/request.js';

/** Kratos allows 5 MiB a body; 1,000 identities with their hashes and traits need more than the usual 1 MiB. */
const BATCH_MAX_BODY_BYTES = 5 * 1024 * 1024;

/** PATCH /admin/identities: Kratos's batchPatchIdentities, up to 1,000 creates, a result per patch (200). */
export const handler = adminFunction({ route: '/admin/identities', attempts: appAdminAttempts, maxBodyBytes: BATCH_MAX_BODY_BYTES }, async (request) => {
  const identities = await (await appIdentityAdmin()).batchCreate(parseBody(request), new Date());
  return { status: 200, body: { identities } };
});
