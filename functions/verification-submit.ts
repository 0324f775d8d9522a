import { appVerification } from '../lib/app.js';
import { flowRequestOf, respond } from '../lib/http/browser.js';
import { parseBody } from '../lib/http/request.js';
import { httpFunction } from '../lib/http/stack.js';

/** POST /self-service/verification?flow= with {method:"code", email} (sends a code) or {method:"code", code}. */
export const handler = httpFunction({ route: '/self-service/verification' }, async (request) =>
  respond(await (await appVerification()).submit(request.query.flow, parseBody(request), flowRequestOf(request), new Date())),
);
