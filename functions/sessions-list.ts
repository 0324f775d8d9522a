import { appConfig, appOwnSessions } from '../lib/app.js';
import { sessionTokenOf } from '../lib/http/browser.js';
import { ownSessionsPaging, ownSessionsLinks } from '../lib/http/paging.js';
import { httpFunction } from '../lib/http/stack.js';
import { sessionView } from '../lib/session/model.js';

/** GET /sessions: the caller's other active sessions, newest first (Kratos's paging, `X-Total-Count`, `Link`). */
export const handler = httpFunction({ route: '/sessions' }, async (request) => {
  const now = new Date();
  const paging = ownSessionsPaging(request);
  const page = await appOwnSessions().list(sessionTokenOf(request, appConfig(), now), paging, now);
  return {
    status: 200,
    headers: { 'X-Total-Count': String(page.total), Link: ownSessionsLinks(appConfig().publicBaseUrl, request, paging, page.total) },
    body: page.items.map((session) => sessionView(session, now, appConfig().publicBaseUrl)),
  };
});
