import { appSettings } from '../lib/app.js';
import { flowRequestOf, requireCookieSecret, respond } from '../lib/http/browser.js';
import { httpFunction } from '../lib/http/stack.js';

/** GET /self-service/settings/browser: a browser settings flow; 303 to the settings UI, or to the login UI without a session. */
export const handler = httpFunction({ route: '/self-service/settings/browser', coldStart: requireCookieSecret }, async (request) =>
  respond(await (await appSettings()).initBrowser(flowRequestOf(request), request.query.return_to, new Date())),
);
