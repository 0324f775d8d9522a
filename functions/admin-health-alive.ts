import { appAdminAttempts } from '../lib/app.js';
import { alive } from '../lib/health.js';
import { adminFunction } from '../lib/http/admin.js';

/** GET /admin/health/alive */
export const handler = adminFunction({ route: '/admin/health/alive', attempts: appAdminAttempts }, alive);
