import { appAdminAttempts, appConfig, appIdentityAdmin } from '../lib/app.js';
import { adminFunction } from '../lib/http/admin.js';
import { parseBody } from '../lib/http/request.js';
import { adminIdentity } from '../lib/identity/model.js';

/** POST /admin/identities: create or import an identity (201 + Location). */
export const handler = adminFunction({ route: '/admin/identities', attempts: appAdminAttempts }, async (request) => {
  const identity = await (await appIdentityAdmin()).create(parseBody(request), new Date());
  return {
    status: 201,
    headers: { Location: `${appConfig().publicBaseUrl}/admin/identities/${identity.id}` },
    body: adminIdentity(identity, appConfig().publicBaseUrl),
  };
});
