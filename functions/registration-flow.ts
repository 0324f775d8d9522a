import { appRegistration } from '../lib/app.js';
import { flowRequestOf } from '../lib/http/browser.js';
import { httpFunction } from '../lib/http/stack.js';

/** GET /self-service/registration/flows?id=: a registration flow by id (a browser flow only with its anti-CSRF cookie). */
export const handler = httpFunction({ route: '/self-service/registration/flows' }, async (request) => ({
  status: 200,
  body: await (await appRegistration()).get(request.query.id, flowRequestOf(request), new Date()),
}));
