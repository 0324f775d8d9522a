import { appLogin } from '../lib/app.js';
import { flowRequestOf, respond } from '../lib/http/browser.js';
import { parseBody } from '../lib/http/request.js';
import { httpFunction } from '../lib/http/stack.js';

/** POST /self-service/login?flow=: log in with identifier and password; a session token (API) or cookie (browser). */
export const handler = httpFunction({ route: '/self-service/login' }, async (request) =>
  respond(await (await appLogin()).submit(request.query.flow, parseBody(request), flowRequestOf(request), new Date())),
);
