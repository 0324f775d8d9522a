import { appLogin } from '../lib/app.js';
import { flowRequestOf, requireCookieSecret, respond } from '../lib/http/browser.js';
import { httpFunction } from '../lib/http/stack.js';

/** GET /self-service/login/browser: a browser login flow; 303 to the login UI (or the flow, for a JSON request). */
export const handler = httpFunction({ route: '/self-service/login/browser', coldStart: requireCookieSecret }, async (request) =>
  respond(await (await appLogin()).initBrowser(flowRequestOf(request), { refresh: request.query.refresh === 'true', returnTo: request.query.return_to, aal: request.query.aal, via: request.query.via }, new Date())),
);
