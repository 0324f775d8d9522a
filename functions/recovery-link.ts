import { appRecovery } from '../lib/app.js';
import { flowRequestOf, respond } from '../lib/http/browser.js';
import { httpFunction } from '../lib/http/stack.js';

/** GET /self-service/recovery?flow=[&code=]: a link into a recovery flow (e-mailed, or made by the admin API); 303 to its UI. */
export const handler = httpFunction({ route: '/self-service/recovery' }, async (request) =>
  respond(await (await appRecovery()).link(request.query.flow, request.query.code, flowRequestOf(request), new Date())),
);
