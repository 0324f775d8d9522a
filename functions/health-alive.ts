import { httpFunction } from '../lib/http/stack.js';

/** GET /health/alive: the function runs. */
export const handler = httpFunction({ route: '/health/alive' }, async () => ({ status: 200, body: { status: 'ok' } }));
