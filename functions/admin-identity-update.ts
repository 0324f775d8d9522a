import { appAdminAttempts, appConfig, appIdentityAdmin } from '../lib/app.js';
import { adminFunction } from '../lib/http/admin.js';
import { parseBody } from '../lib/http/request.js';
import { adminIdentity } from '../lib/identity/model.js';

/** PUT /admin/identities/{id}: replace traits, state and metadata (and optionally the password). */
export const handler = adminFunction({ route: '/admin/identities/{id}', attempts: appAdminAttempts }, async (request) => {
  const identity = await (await appIdentityAdmin()).replace(request.params.id, parseBody(request), new Date());
  return { status: 200, body: adminIdentity(identity, appConfig().publicBaseUrl) };
});
