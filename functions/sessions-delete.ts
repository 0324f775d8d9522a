import { appConfig, appOwnSessions } from '../lib/app.js';
import { sessionTokenOf } from '../lib/http/browser.js';
import { httpFunction } from '../lib/http/stack.js';

/** DELETE /sessions: ends the caller's other sessions; 200 with how many (Kratos's deleteMySessionsCount). */
export const handler = httpFunction({ route: '/sessions' }, async (request) => {
  const now = new Date();
  return { status: 200, body: { count: await appOwnSessions().revokeOthers(sessionTokenOf(request, appConfig(), now), now) } };
});
