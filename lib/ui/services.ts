/** What the pages ask of the session side: the signed-in session and the URL that signs it out, in one read. */
import { logoutUrlOf } from '../flows/logout.js';
import type { FlowRequest } from '../flows/common.js';
import type { Session } from '../session/model.js';
import type { SessionService } from '../session/service.js';

export interface SignedIn {
  session: Session;
  logoutUrl: string;
}

export function signedInLookup(sessions: Pick<SessionService, 'findActive'>, publicBaseUrl: string) {
  return async (request: FlowRequest, now: Date): Promise<SignedIn | undefined> => {
    const session = request.sessionToken ? await sessions.findActive(request.sessionToken, now) : undefined;
    return session && request.sessionToken ? { session, logoutUrl: logoutUrlOf(publicBaseUrl, request.sessionToken) } : undefined;
  };
}
