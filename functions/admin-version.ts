import { appAdminAttempts } from '../lib/app.js';
import { adminFunction } from '../lib/http/admin.js';
import { VERSION } from '../lib/util/version.js';

/** GET /admin/version: the version of these functions. */
export const handler = adminFunction({ route: '/admin/version', attempts: appAdminAttempts }, async () => ({ status: 200, body: { version: VERSION } }));
