import { appAdminAttempts, appConfig, appCourierAdmin } from '../lib/app.js';
import { adminMessage } from '../lib/courier/admin.js';
import { adminFunction, keysetPagingOf, linkHeader } from '../lib/http/admin.js';

/** Kratos's page size for courier messages when none is asked for (persister_courier.go). */
const DEFAULT_PAGE_SIZE = 10;

/** GET /admin/courier/messages: newest first, `status` and `recipient` filters, keyset pages with `Link` (Kratos's listCourierMessages). */
export const handler = adminFunction({ route: '/admin/courier/messages', attempts: appAdminAttempts }, async (request) => {
  const paging = keysetPagingOf(request, DEFAULT_PAGE_SIZE);
  const page = await appCourierAdmin().list({ ...paging, status: request.query.status, recipient: request.query.recipient });
  return {
    status: 200,
    headers: { Link: linkHeader(appConfig().publicBaseUrl, request, paging.pageSize, page.next) },
    body: page.items.map(adminMessage),
  };
});
