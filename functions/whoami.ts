import { appConfig, appSessions } from '../lib/app.js';
import { sessionTokenOf } from '../lib/http/request.js';
import { httpFunction } from '../lib/http/stack.js';
import { sessionView } from '../lib/session/model.js';

/** GET /sessions/whoami: the session of the token in X-Session-Token or Authorization: Bearer. */
export const handler = httpFunction({ route: '/sessions/whoami' }, async (request) => {
  const now = new Date();
  const session = await appSessions().whoami(sessionTokenOf(request), now);
  return {
    status: 200,
    headers: { 'X-Kratos-Authenticated-Identity-Id': session.identityId },
    body: sessionView(session, now, appConfig().publicBaseUrl),
  };
});
