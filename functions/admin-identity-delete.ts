import { appAdminAttempts, appIdentityAdmin } from '../lib/app.js';
import { adminFunction } from '../lib/http/admin.js';

/** DELETE /admin/identities/{id}: the identity, its identifier claims and its sessions (204). */
export const handler = adminFunction({ route: '/admin/identities/{id}', attempts: appAdminAttempts }, async (request) => {
  await (await appIdentityAdmin()).delete(request.params.id);
  return { status: 204 };
});
