import { appSettings } from '../lib/app.js';
import { flowRequestOf } from '../lib/http/browser.js';
import { httpFunction } from '../lib/http/stack.js';

/** GET /self-service/settings/flows?id=: the session's settings flow by id. */
export const handler = httpFunction({ route: '/self-service/settings/flows' }, async (request) => ({
  status: 200,
  body: await (await appSettings()).get(request.query.id, flowRequestOf(request), new Date()),
}));
