import { appConfig, appSessions } from '../lib/app.js';
import { sessionTokenOf } from '../lib/http/browser.js';
import { httpFunction } from '../lib/http/stack.js';
import { sessionView } from '../lib/session/model.js';

/** GET /sessions/whoami: the session of X-Session-Token, the session cookie, or Authorization: Bearer (in that order). */
export const handler = httpFunction({ route: '/sessions/whoami' }, async (request) => {
  const now = new Date();
  const session = await appSessions().whoami(sessionTokenOf(request, appConfig(), now), now, request.query.return_to);
  return {
    status: 200,
    headers: { 'X-Kratos-Authenticated-Identity-Id': session.identityId },
    body: sessionView(session, now, appConfig().publicBaseUrl),
  };
});
