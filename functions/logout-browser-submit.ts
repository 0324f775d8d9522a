import { appBrowserLogout } from '../lib/app.js';
import { flowRequestOf, respond } from '../lib/http/browser.js';
import { httpFunction } from '../lib/http/stack.js';

/** GET /self-service/logout?token=&return_to=: logs the browser out; 303 to return_to or the default (204 for JSON). */
export const handler = httpFunction({ route: '/self-service/logout' }, async (request) =>
  respond(await (await appBrowserLogout()).perform(flowRequestOf(request), request.query.token, request.query.return_to, new Date())),
);
