import { appLogin } from '../lib/app.js';
import { flowRequestOf } from '../lib/http/browser.js';
import { httpFunction } from '../lib/http/stack.js';

/**
 * GET /self-service/login/api: a new API login flow (`refresh=true` allows one beside a session;
 * `return_session_token_exchange_code=true&return_to=` for a native app signing in through a browser).
 */
export const handler = httpFunction({ route: '/self-service/login/api' }, async (request) => ({
  status: 200,
  body: await (await appLogin()).init(flowRequestOf(request), { refresh: request.query.refresh === 'true', returnSessionTokenExchangeCode: request.query.return_session_token_exchange_code === 'true', returnTo: request.query.return_to, aal: request.query.aal, via: request.query.via }, new Date()),
}));
