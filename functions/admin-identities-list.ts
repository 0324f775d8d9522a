import { appAdminAttempts, appConfig, appIdentityAdmin } from '../lib/app.js';
import { adminFunction, linkHeader, pagingOf } from '../lib/http/admin.js';
import { adminIdentity } from '../lib/identity/model.js';

/** GET /admin/identities: keyset-paginated, `credentials_identifier` filter, `include_credential=password`. */
export const handler = adminFunction({ route: '/admin/identities', attempts: appAdminAttempts }, async (request) => {
  const paging = pagingOf(request);
  const included = request.query.include_credential?.split(',') ?? [];
  const withCredentials = included.includes('password');
  const page = await (await appIdentityAdmin()).list({ ...paging, credentialsIdentifier: request.query.credentials_identifier, withCredentials });
  return {
    status: 200,
    headers: { Link: linkHeader(appConfig().publicBaseUrl, request, paging.pageSize, page.next) },
    body: page.items.map((identity) => adminIdentity(identity, appConfig().publicBaseUrl, withCredentials, included.includes('oidc'))),
  };
});
