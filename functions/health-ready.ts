import { getApp } from '../lib/app.js';
import { httpFunction } from '../lib/http/stack.js';

/** GET /health/ready: the function runs and reaches its DynamoDB table; 503 with Kratos's not-ready body otherwise. */
export const handler = httpFunction({ route: '/health/ready' }, async () => {
  try {
    await getApp().store.ping();
  } catch {
    return { status: 503, body: { errors: { database: 'The database is unreachable.' } } };
  }
  return { status: 200, body: { status: 'ok' } };
});
