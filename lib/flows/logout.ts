/**
 * Browser logout (Kratos's selfservice/flow/logout): `GET /self-service/logout/browser` hands a signed-in browser the
 * URL that logs it out (with its logout token); `GET /self-service/logout?token=` checks the token against the
 * session the request carries, revokes it, expires the cookie, rotates the anti-CSRF token and sends the browser to
 * `return_to` or the after-logout default (204 for a JSON request). The API logout stays `DELETE /self-service/logout/api`.
 */
import { BadRequestError, KratosError, SessionInactiveError } from '../errors/index.js';
import type { SessionService } from '../session/service.js';
import { logoutTokenOf } from '../session/service.js';
import { jsonAnswer, redirectAnswer, withQuery, type FlowAnswer } from './answer.js';
import { afterSuccessUrl, forwardToErrorUi } from './browser.js';
import type { FlowDeps, FlowRequest } from './common.js';
import { newCsrfToken } from './csrf.js';
import { checkReturnTo } from './return-to.js';

export interface LogoutDeps extends Pick<FlowDeps, 'browser' | 'errors' | 'publicBaseUrl'> {
  sessionService: SessionService;
}

/** The URL that logs out the session of `sessionToken` (`GET /self-service/logout?token=`). */
export function logoutUrlOf(publicBaseUrl: string, sessionToken: string, returnTo?: string): string {
  return withQuery(`${publicBaseUrl}/self-service/logout`, { token: logoutTokenOf(sessionToken), return_to: returnTo });
}

export function createBrowserLogout(deps: LogoutDeps) {
  const returnToOf = (raw: string | undefined) => checkReturnTo(raw, deps.browser.allowedReturnUrls, deps.browser.defaultReturnUrl);
  const forwarded = async (error: unknown, request: FlowRequest, now: Date): Promise<FlowAnswer> => {
    if (error instanceof KratosError && !request.browser.json) return forwardToErrorUi(deps, error, now);
    throw error;
  };

  return {
    /** `GET /self-service/logout/browser[?return_to=]`: `{logout_url, logout_token}` for the request's session. */
    async create(request: FlowRequest, rawReturnTo: string | undefined, now: Date): Promise<FlowAnswer> {
      try {
        const session = request.sessionToken ? await deps.sessionService.findActive(request.sessionToken, now) : undefined;
        if (!session || !request.sessionToken) throw new SessionInactiveError();
        const returnTo = returnToOf(rawReturnTo);
        return jsonAnswer({ logout_url: logoutUrlOf(deps.publicBaseUrl, request.sessionToken, returnTo), logout_token: logoutTokenOf(request.sessionToken) });
      } catch (error) {
        return forwarded(error, request, now);
      }
    },

    /** `GET /self-service/logout?token=&return_to=`. */
    async perform(request: FlowRequest, token: string | undefined, rawReturnTo: string | undefined, now: Date): Promise<FlowAnswer> {
      try {
        if (!token) throw new BadRequestError('Please include a token in the URL query.');
        const session = request.sessionToken ? await deps.sessionService.findActive(request.sessionToken, now) : undefined;
        if (!session || !request.sessionToken) throw new SessionInactiveError();
        if (logoutTokenOf(request.sessionToken) !== token) {
          throw new KratosError(403, { reason: 'Unable to log out because the logout token in the URL query does not match the session cookie.' });
        }
        const returnTo = returnToOf(rawReturnTo);
        await deps.sessionService.logout(request.sessionToken);
        const cookies = { clearSession: true, csrfToken: newCsrfToken() };
        if (request.browser.json) return jsonAnswer(undefined, 204, cookies);
        return redirectAnswer(afterSuccessUrl(deps, { returnTo }, 'logout'), cookies);
      } catch (error) {
        return forwarded(error, request, now);
      }
    },
  };
}
export type BrowserLogout = ReturnType<typeof createBrowserLogout>;
