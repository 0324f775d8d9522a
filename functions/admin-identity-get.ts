import { appAdminAttempts, appConfig, appIdentityAdmin } from '../lib/app.js';
import { adminFunction } from '../lib/http/admin.js';
import { adminIdentity } from '../lib/identity/model.js';

/** GET /admin/identities/{id} (`include_credential=password` adds the hash, `oidc` the linked providers). */
export const handler = adminFunction({ route: '/admin/identities/{id}', attempts: appAdminAttempts }, async (request) => {
  const included = request.query.include_credential?.split(',') ?? [];
  const withCredentials = included.includes('password');
  const identity = await (await appIdentityAdmin()).get(request.params.id, withCredentials);
  return { status: 200, body: adminIdentity(identity, appConfig().publicBaseUrl, withCredentials, included.includes('oidc')) };
});
