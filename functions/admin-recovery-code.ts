import { appAdminAttempts, appRecoveryCodeAdmin } from '../lib/app.js';
import { adminFunction } from '../lib/http/admin.js';
import { parseBody } from '../lib/http/request.js';

/** POST /admin/recovery/code: a recovery code and link for an identity (Kratos's createRecoveryCodeForIdentity). */
export const handler = adminFunction({ route: '/admin/recovery/code', attempts: appAdminAttempts }, async (request) => ({
  status: 201,
  body: await appRecoveryCodeAdmin().create(parseBody(request), new Date()),
}));
