import { appLogin } from '../lib/app.js';
import { flowRequestOf } from '../lib/http/browser.js';
import { httpFunction } from '../lib/http/stack.js';

/** GET /self-service/login/flows?id=: a login flow by id (a browser flow only with its anti-CSRF cookie). */
export const handler = httpFunction({ route: '/self-service/login/flows' }, async (request) => ({
  status: 200,
  body: await (await appLogin()).get(request.query.id, flowRequestOf(request), new Date()),
}));
