import { adminFunction } from '../lib/http/admin.js';
import { VERSION } from '../lib/util/version.js';

/** GET /admin/version: the version of these functions. */
export const handler = adminFunction('/admin/version', async () => ({ status: 200, body: { version: VERSION } }));
