import { appRecovery } from '../lib/app.js';
import { flowRequestOf, requireCookieSecret, respond } from '../lib/http/browser.js';
import { httpFunction } from '../lib/http/stack.js';

/** GET /self-service/recovery/browser: a browser recovery flow; 303 to the recovery UI (or the flow, for JSON). */
export const handler = httpFunction({ route: '/self-service/recovery/browser', coldStart: requireCookieSecret }, async (request) =>
  respond(await (await appRecovery()).init('browser', flowRequestOf(request), request.query.return_to, new Date())),
);
