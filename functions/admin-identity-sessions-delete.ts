import { appAdminAttempts, appSessionAdmin } from '../lib/app.js';
import { adminFunction } from '../lib/http/admin.js';

/** DELETE /admin/identities/{id}/sessions: revokes every session of the identity (204). */
export const handler = adminFunction({ route: '/admin/identities/{id}/sessions', attempts: appAdminAttempts }, async (request) => {
  await appSessionAdmin().revokeAllOfIdentity(request.params.id);
  return { status: 204 };
});
