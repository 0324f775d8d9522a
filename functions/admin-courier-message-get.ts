import { appAdminAttempts, appCourierAdmin } from '../lib/app.js';
import { adminMessage } from '../lib/courier/admin.js';
import { adminFunction } from '../lib/http/admin.js';

/** GET /admin/courier/messages/{id}: one message (Kratos's getCourierMessage); 400 not a UUID, 404 unknown. */
export const handler = adminFunction({ route: '/admin/courier/messages/{id}', attempts: appAdminAttempts }, async (request) => {
  return { status: 200, body: adminMessage(await appCourierAdmin().get(request.params.id)) };
});
