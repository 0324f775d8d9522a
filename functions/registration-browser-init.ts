import { appRegistration } from '../lib/app.js';
import { flowRequestOf, requireCookieSecret, respond } from '../lib/http/browser.js';
import { httpFunction } from '../lib/http/stack.js';

/** GET /self-service/registration/browser: a browser registration flow; 303 to the registration UI (or the flow, for JSON). */
export const handler = httpFunction({ route: '/self-service/registration/browser', coldStart: requireCookieSecret }, async (request) =>
  respond(await (await appRegistration()).initBrowser(flowRequestOf(request), request.query.return_to, new Date(), request.query.identity_schema)),
);
