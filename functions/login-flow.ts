import { appLogin } from '../lib/app.js';
import { httpFunction } from '../lib/http/stack.js';

/** GET /self-service/login/flows?id=: a login flow by id. */
export const handler = httpFunction({ route: '/self-service/login/flows' }, async (request) => ({
  status: 200,
  body: await appLogin().get(request.query.id, new Date()),
}));
