import { appVerification } from '../lib/app.js';
import { flowRequestOf, respond } from '../lib/http/browser.js';
import { httpFunction } from '../lib/http/stack.js';

/** GET /self-service/verification/api: a new API verification flow (400 when verification is disabled). */
export const handler = httpFunction({ route: '/self-service/verification/api' }, async (request) =>
  respond(await (await appVerification()).init('api', flowRequestOf(request), undefined, new Date())),
);
