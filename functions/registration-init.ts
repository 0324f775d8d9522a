import { appRegistration } from '../lib/app.js';
import { flowRequestOf } from '../lib/http/browser.js';
import { httpFunction } from '../lib/http/stack.js';

/** GET /self-service/registration/api[?identity_schema=]: a new API registration flow. */
export const handler = httpFunction({ route: '/self-service/registration/api' }, async (request) => ({
  status: 200,
  body: await (await appRegistration()).init(flowRequestOf(request), new Date(), request.query.identity_schema, {
    returnSessionTokenExchangeCode: request.query.return_session_token_exchange_code === 'true',
    returnTo: request.query.return_to,
  }),
}));
