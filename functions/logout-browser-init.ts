import { appBrowserLogout } from '../lib/app.js';
import { flowRequestOf, respond } from '../lib/http/browser.js';
import { httpFunction } from '../lib/http/stack.js';

/** GET /self-service/logout/browser[?return_to=]: the URL and token that log the request's session out (401 without one). */
export const handler = httpFunction({ route: '/self-service/logout/browser' }, async (request) =>
  respond(await (await appBrowserLogout()).create(flowRequestOf(request), request.query.return_to, new Date())),
);
