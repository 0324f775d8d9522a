import { appRecovery } from '../lib/app.js';
import { flowRequestOf, respond } from '../lib/http/browser.js';
import { httpFunction } from '../lib/http/stack.js';

/** GET /self-service/recovery/api: a new API recovery flow (400 when recovery is disabled). */
export const handler = httpFunction({ route: '/self-service/recovery/api' }, async (request) =>
  respond(await (await appRecovery()).init('api', flowRequestOf(request), undefined, new Date())),
);
