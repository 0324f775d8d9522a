import { appAdminAttempts } from '../lib/app.js';
import { ready } from '../lib/health.js';
import { adminFunction } from '../lib/http/admin.js';

/** GET /admin/health/ready */
export const handler = adminFunction({ route: '/admin/health/ready', attempts: appAdminAttempts }, ready);
