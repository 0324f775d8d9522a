import { appConfig, appOwnSessions } from '../lib/app.js';
import { sessionTokenOf } from '../lib/http/browser.js';
import { httpFunction } from '../lib/http/stack.js';

/** DELETE /sessions/{id}: ends one other session of the caller's (204; the current one is 400: logout ends it). */
export const handler = httpFunction({ route: '/sessions/{id}' }, async (request) => {
  const now = new Date();
  await appOwnSessions().revokeOne(sessionTokenOf(request, appConfig(), now), request.params.id, now);
  return { status: 204 };
});
