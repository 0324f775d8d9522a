import { appTokenExchange } from '../lib/app.js';
import { httpFunction } from '../lib/http/stack.js';

/**
 * GET /sessions/token-exchange?init_code=&return_to_code=: a native app that signed in through a browser trades its two
 * codes for the session token (`{session_token, session}`); 404 until that sign-in is done, or for codes that do not
 * match; 400 without both.
 */
export const handler = httpFunction({ route: '/sessions/token-exchange' }, async (request) => ({
  status: 200,
  body: await appTokenExchange().exchange(request.query.init_code, request.query.return_to_code, new Date()),
}));
