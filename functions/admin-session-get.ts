import { getApp } from '../lib/app.js';
import { adminFunction } from '../lib/http/admin.js';
import { sessionView } from '../lib/session/model.js';

/** GET /admin/sessions/{id} */
export const handler = adminFunction('/admin/sessions/{id}', async (request) => {
  const app = getApp();
  const now = new Date();
  return { status: 200, body: sessionView(await app.sessionAdmin.get(request.params.id), now, app.config.publicBaseUrl) };
});
