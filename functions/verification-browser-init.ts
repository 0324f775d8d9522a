import { appVerification } from '../lib/app.js';
import { flowRequestOf, requireCookieSecret, respond } from '../lib/http/browser.js';
import { httpFunction } from '../lib/http/stack.js';

/** GET /self-service/verification/browser: a browser verification flow; 303 to the verification UI (or the flow, for JSON). */
export const handler = httpFunction({ route: '/self-service/verification/browser', coldStart: requireCookieSecret }, async (request) =>
  respond(await (await appVerification()).init('browser', flowRequestOf(request), request.query.return_to, new Date())),
);
