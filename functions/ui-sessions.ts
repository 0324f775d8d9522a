import { appConfig, appOwnSessions } from '../lib/app.js';
import { BadRequestError, KratosError } from '../lib/errors/index.js';
import { verifyCsrfToken } from '../lib/flows/csrf.js';
import { flowRequestOf, sessionTokenOf } from '../lib/http/browser.js';
import { parseBody } from '../lib/http/request.js';
import { httpFunction } from '../lib/http/stack.js';
import { sessionsActionFailed } from '../lib/ui/pages.js';

/**
 * POST /ui/sessions: the settings page's "Active sessions" buttons (a form can only post): ends one other session
 * (`session_id`) or all of them (`all=true`), then back to the settings page. Guarded as the flows' forms are: the
 * anti-CSRF cookie and the token the form carries.
 */
export const handler = httpFunction({ route: '/ui/sessions' }, async (request) => {
  const now = new Date();
  try {
    const body = parseBody(request);
    const browser = flowRequestOf(request).browser;
    if (!verifyCsrfToken(browser.csrfCookie, typeof body.csrf_token === 'string' ? body.csrf_token : undefined)) {
      throw new BadRequestError('The request could not be verified: go back to the settings page and try again.', { id: 'security_csrf_violation' });
    }
    const token = sessionTokenOf(request, appConfig(), now);
    const sessions = appOwnSessions();
    if (body.all === 'true') await sessions.revokeOthers(token, now);
    else await sessions.revokeOne(token, typeof body.session_id === 'string' ? body.session_id : undefined, now);
    return { status: 303, headers: { Location: appConfig().browser.uiUrls.settings } };
  } catch (error) {
    // A page of the UI answers as a page: what went wrong, and the way back.
    if (error instanceof KratosError) return sessionsActionFailed(error, appConfig());
    throw error;
  }
});
