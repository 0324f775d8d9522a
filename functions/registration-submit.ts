import { appRegistration } from '../lib/app.js';
import { flowRequestOf, respond } from '../lib/http/browser.js';
import { parseBody } from '../lib/http/request.js';
import { httpFunction } from '../lib/http/stack.js';

/** POST /self-service/registration?flow=: register with a password; answers with the new session (token or cookie). */
export const handler = httpFunction({ route: '/self-service/registration' }, async (request) =>
  respond(await (await appRegistration()).submit(request.query.flow, parseBody(request), flowRequestOf(request), new Date())),
);
