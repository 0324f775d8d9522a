import { appAdminAttempts, appConfig, appIdentityAdmin } from '../lib/app.js';
import { adminFunction, linkHeader, pagingOf } from '../lib/http/admin.js';
import { createTokenCipher } from '../lib/identity/cipher.js';
import { adminIdentity } from '../lib/identity/model.js';

/** GET /admin/identities: keyset-paginated, `credentials_identifier` filter, `include_credential=password`. */
export const handler = adminFunction({ route: '/admin/identities', attempts: appAdminAttempts }, async (request) => {
  const paging = pagingOf(request);
  const included = request.query.include_credential?.split(',') ?? [];
  const withCredentials = included.includes('password');
  // Provider tokens are a privileged read's, opened with SECRETS_CIPHER.
  const withTokens = included.includes('oidc');
  const cipher = withTokens ? createTokenCipher(appConfig().cipherSecrets) : undefined;
  const page = await (await appIdentityAdmin()).list({ ...paging, credentialsIdentifier: request.query.credentials_identifier, withCredentials: withCredentials || withTokens });
  return {
    status: 200,
    headers: { Link: linkHeader(appConfig().publicBaseUrl, request, paging.pageSize, page.next) },
    body: page.items.map((identity) => adminIdentity(identity, appConfig().publicBaseUrl, withCredentials, withTokens, cipher?.decrypt)),
  };
});
