import { appLogin } from '../lib/app.js';
import { flowRequestOf, parseBody } from '../lib/http/request.js';
import { httpFunction } from '../lib/http/stack.js';

/** POST /self-service/login?flow=: log in with identifier and password; answers with a session. */
export const handler = httpFunction({ route: '/self-service/login' }, async (request) => ({
  status: 200,
  body: await appLogin().submit(request.query.flow, parseBody(request), flowRequestOf(request), new Date()),
}));
