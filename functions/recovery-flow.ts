import { appRecovery } from '../lib/app.js';
import { flowRequestOf } from '../lib/http/browser.js';
import { httpFunction } from '../lib/http/stack.js';

/** GET /self-service/recovery/flows?id=: a recovery flow by id (a browser flow only with its anti-CSRF cookie). */
export const handler = httpFunction({ route: '/self-service/recovery/flows' }, async (request) => ({
  status: 200,
  body: await (await appRecovery()).get(request.query.id, flowRequestOf(request), new Date()),
}));
