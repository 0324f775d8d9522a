import { appAdminAttempts, appConfig, appIdentityAdmin } from '../lib/app.js';
import { adminFunction } from '../lib/http/admin.js';
import { parseJsonBody } from '../lib/http/request.js';
import { adminIdentity } from '../lib/identity/model.js';

/** PATCH /admin/identities/{id}: RFC 6902 JSON Patch; `/id` and `/credentials` are refused. */
export const handler = adminFunction({ route: '/admin/identities/{id}', attempts: appAdminAttempts }, async (request) => {
  const identity = await (await appIdentityAdmin()).patch(request.params.id, parseJsonBody(request), new Date());
  return { status: 200, body: adminIdentity(identity, appConfig().publicBaseUrl) };
});
