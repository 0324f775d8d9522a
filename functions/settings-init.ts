import { appSettings } from '../lib/app.js';
import { flowRequestOf } from '../lib/http/browser.js';
import { httpFunction } from '../lib/http/stack.js';

/** GET /self-service/settings/api: a settings flow for the session's identity (401 without a session). */
export const handler = httpFunction({ route: '/self-service/settings/api' }, async (request) => ({
  status: 200,
  body: await (await appSettings()).init(flowRequestOf(request), new Date()),
}));
