import { appConfig, appErrors } from '../lib/app.js';
import { getSelfServiceError } from '../lib/flows/errors.js';
import { httpFunction } from '../lib/http/stack.js';
import { errorPage } from '../lib/ui/pages.js';

/** GET /ui/error?id=: the self-service UI's error page. */
export const handler = httpFunction({ route: '/ui/error' }, async (request) =>
  errorPage(request, (id) => getSelfServiceError(appErrors(), id, new Date()), appConfig()),
);
