import { getApp } from '../lib/app.js';
import { adminFunction } from '../lib/http/admin.js';
import { sessionView } from '../lib/session/model.js';

/** PATCH /admin/sessions/{id}/extend: expires a session lifespan from now; 200 with the session. */
export const handler = adminFunction('/admin/sessions/{id}/extend', async (request) => {
  const app = getApp();
  const now = new Date();
  return { status: 200, body: sessionView(await app.sessionAdmin.extend(request.params.id, now), now, app.config.publicBaseUrl) };
});
