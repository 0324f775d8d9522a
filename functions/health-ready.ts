import { ready } from '../lib/health.js';
import { httpFunction } from '../lib/http/stack.js';

/** GET /health/ready: the function runs and reaches DynamoDB (503 otherwise). */
export const handler = httpFunction({ route: '/health/ready' }, ready);
