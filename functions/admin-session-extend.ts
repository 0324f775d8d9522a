import { appAdminAttempts, appConfig, appSessionAdmin } from '../lib/app.js';
import { adminFunction } from '../lib/http/admin.js';
import { sessionView } from '../lib/session/model.js';

/** PATCH /admin/sessions/{id}/extend: expires a session lifespan from now; 200 with the session. */
export const handler = adminFunction({ route: '/admin/sessions/{id}/extend', attempts: appAdminAttempts }, async (request) => {
  const now = new Date();
  return { status: 200, body: sessionView(await appSessionAdmin().extend(request.params.id, now), now, appConfig().publicBaseUrl) };
});
