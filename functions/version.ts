import { httpFunction } from '../lib/http/stack.js';
import { VERSION } from '../lib/util/version.js';

/** GET /version: the version of these functions (Kratos's MetadataApi.getVersion; the spec asks no key for it). */
export const handler = httpFunction({ route: '/version' }, async () => ({ status: 200, body: { version: VERSION } }));
