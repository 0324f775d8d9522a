import { getApp } from '../lib/app.js';
import { adminFunction } from '../lib/http/admin.js';
import { parseBody } from '../lib/http/request.js';
import { adminIdentity } from '../lib/identity/model.js';

/** POST /admin/identities: create or import an identity (201 + Location). */
export const handler = adminFunction('/admin/identities', async (request) => {
  const app = getApp();
  const identity = await app.identityAdmin.create(parseBody(request), new Date());
  return {
    status: 201,
    headers: { Location: `${app.config.publicBaseUrl}/admin/identities/${identity.id}` },
    body: adminIdentity(identity, app.config.publicBaseUrl),
  };
});
