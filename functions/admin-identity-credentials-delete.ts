import { appAdminAttempts, appIdentityAdmin } from '../lib/app.js';
import { adminFunction } from '../lib/http/admin.js';

/** DELETE /admin/identities/{id}/credentials/{type}[?identifier=]: a password, or one linked provider account (204). */
export const handler = adminFunction({ route: '/admin/identities/{id}/credentials/{type}', attempts: appAdminAttempts }, async (request) => {
  await (await appIdentityAdmin()).deleteCredential(request.params.id, request.params.type ?? '', request.query.identifier, new Date());
  return { status: 204 };
});
