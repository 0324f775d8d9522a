import { appAdminAttempts, appConfig, appIdentityAdmin } from '../lib/app.js';
import { adminFunction } from '../lib/http/admin.js';
import { createTokenCipher } from '../lib/identity/cipher.js';
import { adminIdentity } from '../lib/identity/model.js';

/** GET /admin/identities/{id} (`include_credential=password` adds the hash, `oidc` the linked providers, `totp`, `lookup_secret`, `webauthn`, `passkey` their config). */
export const handler = adminFunction({ route: '/admin/identities/{id}', attempts: appAdminAttempts }, async (request) => {
  const included = request.query.include_credential?.split(',') ?? [];
  const withCredentials = included.includes('password');
  // Provider tokens are a privileged read's, opened with SECRETS_CIPHER.
  const withTokens = included.includes('oidc');
  const cipher = withTokens ? createTokenCipher(appConfig().cipherSecrets) : undefined;
  // Always the whole item (one read either way): the view shows which second factors it has, their secrets only when named.
  const identity = await (await appIdentityAdmin()).get(request.params.id, true);
  return { status: 200, body: adminIdentity(identity, appConfig().publicBaseUrl, withCredentials, withTokens, cipher?.decrypt, included) };
});
