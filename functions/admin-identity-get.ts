import { getApp } from '../lib/app.js';
import { adminFunction } from '../lib/http/admin.js';
import { adminIdentity } from '../lib/identity/model.js';

/** GET /admin/identities/{id} (`include_credential=password` adds the hash). */
export const handler = adminFunction('/admin/identities/{id}', async (request) => {
  const app = getApp();
  const withCredentials = request.query.include_credential?.split(',').includes('password') ?? false;
  const identity = await app.identityAdmin.get(request.params.id, withCredentials);
  return { status: 200, body: adminIdentity(identity, app.config.publicBaseUrl, withCredentials) };
});
