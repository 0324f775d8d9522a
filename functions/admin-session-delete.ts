import { appSessionAdmin } from '../lib/app.js';
import { adminFunction } from '../lib/http/admin.js';

/** DELETE /admin/sessions/{id}: revokes the session (active=false), 204. */
export const handler = adminFunction('/admin/sessions/{id}', async (request) => {
  await appSessionAdmin().revoke(request.params.id);
  return { status: 204 };
});
