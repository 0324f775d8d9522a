import { appAdminAttempts, appSessionAdmin } from '../lib/app.js';
import { adminFunction } from '../lib/http/admin.js';

/** DELETE /admin/sessions/{id}: revokes the session (active=false), 204. */
export const handler = adminFunction({ route: '/admin/sessions/{id}', attempts: appAdminAttempts }, async (request) => {
  await appSessionAdmin().revoke(request.params.id);
  return { status: 204 };
});
