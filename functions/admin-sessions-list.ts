import { appAdminAttempts, appConfig, appSessionAdmin } from '../lib/app.js';
import { adminFunction, booleanQuery, linkHeader, pagingOf } from '../lib/http/admin.js';
import { sessionView } from '../lib/session/model.js';

/** GET /admin/sessions: every session, keyset-paginated, `active` filter. */
export const handler = adminFunction({ route: '/admin/sessions', attempts: appAdminAttempts }, async (request) => {
  const now = new Date();
  const paging = pagingOf(request);
  const page = await appSessionAdmin().list({ ...paging, active: booleanQuery(request, 'active') }, now);
  return {
    status: 200,
    headers: { Link: linkHeader(appConfig().publicBaseUrl, request, paging.pageSize, page.next) },
    body: page.items.map((session) => sessionView(session, now, appConfig().publicBaseUrl)),
  };
});
