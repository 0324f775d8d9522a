import { appVerification } from '../lib/app.js';
import { flowRequestOf } from '../lib/http/browser.js';
import { httpFunction } from '../lib/http/stack.js';

/** GET /self-service/verification/flows?id=: a verification flow by id (a browser flow only with its anti-CSRF cookie). */
export const handler = httpFunction({ route: '/self-service/verification/flows' }, async (request) => ({
  status: 200,
  body: await (await appVerification()).get(request.query.id, flowRequestOf(request), new Date()),
}));
