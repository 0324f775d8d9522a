import { appSettings } from '../lib/app.js';
import { flowRequestOf, respond } from '../lib/http/browser.js';
import { parseBody } from '../lib/http/request.js';
import { httpFunction } from '../lib/http/stack.js';

/** POST /self-service/settings?flow= with {method:"password", password}: changes the password. */
export const handler = httpFunction({ route: '/self-service/settings' }, async (request) =>
  respond(await (await appSettings()).submit(request.query.flow, parseBody(request), flowRequestOf(request), new Date())),
);
