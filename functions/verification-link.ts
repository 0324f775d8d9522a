import { appVerification } from '../lib/app.js';
import { flowRequestOf, respond } from '../lib/http/browser.js';
import { httpFunction } from '../lib/http/stack.js';

/** GET /self-service/verification?flow=[&code=]: a link into a verification flow (e-mailed, or made by the admin API); 303 to its UI. */
export const handler = httpFunction({ route: '/self-service/verification' }, async (request) =>
  respond(await (await appVerification()).link(request.query.flow, request.query.code, flowRequestOf(request), new Date())),
);
