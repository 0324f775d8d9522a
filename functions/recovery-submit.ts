import { appRecovery } from '../lib/app.js';
import { flowRequestOf, respond } from '../lib/http/browser.js';
import { parseBody } from '../lib/http/request.js';
import { httpFunction } from '../lib/http/stack.js';

/** POST /self-service/recovery?flow= with {method:"code", email} (sends a code) or {method:"code", code}. */
export const handler = httpFunction({ route: '/self-service/recovery' }, async (request) =>
  respond(await (await appRecovery()).submit(request.query.flow, parseBody(request), flowRequestOf(request), new Date())),
);
