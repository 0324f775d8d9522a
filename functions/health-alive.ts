import { alive } from '../lib/health.js';
import { httpFunction } from '../lib/http/stack.js';

/** GET /health/alive: the function runs. */
export const handler = httpFunction({ route: '/health/alive' }, alive);
