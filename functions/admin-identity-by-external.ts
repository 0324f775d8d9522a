import { appAdminAttempts, appConfig, appIdentityAdmin } from '../lib/app.js';
import { adminFunction } from '../lib/http/admin.js';
import { createTokenCipher } from '../lib/identity/cipher.js';
import { adminIdentity } from '../lib/identity/model.js';

/** GET /admin/identities/by/external/{externalID} (`include_credential` as GET /admin/identities/{id}). */
export const handler = adminFunction({ route: '/admin/identities/by/external/{externalID}', attempts: appAdminAttempts }, async (request) => {
  const included = request.query.include_credential?.split(',') ?? [];
  const withTokens = included.includes('oidc');
  const cipher = withTokens ? createTokenCipher(appConfig().cipherSecrets) : undefined;
  const identity = await (await appIdentityAdmin()).getByExternalId(request.params.externalID);
  return { status: 200, body: adminIdentity(identity, appConfig().publicBaseUrl, included.includes('password'), withTokens, cipher?.decrypt, included) };
});
