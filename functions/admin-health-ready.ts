import { ready } from '../lib/health.js';
import { adminFunction } from '../lib/http/admin.js';

/** GET /admin/health/ready */
export const handler = adminFunction('/admin/health/ready', ready);
