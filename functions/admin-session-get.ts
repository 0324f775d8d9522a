import { appAdminAttempts, appConfig, appSessionAdmin } from '../lib/app.js';
import { adminFunction } from '../lib/http/admin.js';
import { sessionView } from '../lib/session/model.js';

/** GET /admin/sessions/{id} */
export const handler = adminFunction({ route: '/admin/sessions/{id}', attempts: appAdminAttempts }, async (request) => {
  const now = new Date();
  return { status: 200, body: sessionView(await appSessionAdmin().get(request.params.id), now, appConfig().publicBaseUrl) };
});
