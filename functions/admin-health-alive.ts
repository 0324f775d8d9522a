import { alive } from '../lib/health.js';
import { adminFunction } from '../lib/http/admin.js';

/** GET /admin/health/alive */
export const handler = adminFunction('/admin/health/alive', alive);
