/**
 * A signed-in user's view of their own sessions (Kratos's `GET /sessions`, `DELETE /sessions`, `DELETE /sessions/{id}`,
 * session/handler.go): the other active sessions, newest first, paged as Kratos pages them; ending all the others, or
 * one of them. The current session is never listed nor ended here (logout ends it).
 */
import type { RequiredAal } from '../config/aal.js';
import { BadRequestError, KratosError } from '../errors/index.js';
import type { Session } from './model.js';
import type { SessionRepository } from './repository.js';
import { checkAal, type SessionService } from './service.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** How many of an identity's sessions are read per query while listing them. */
const READ_PAGE = 500;

/** Kratos's answer when the caller has no session: a 401 without an id. */
const noSession = () => new KratosError(401, { reason: 'No valid session cookie found.' });

export interface OwnSessionsDeps {
  sessions: Pick<SessionRepository, 'listByIdentity' | 'getById' | 'revokeByTokenHash' | 'revokeAllOfIdentity'>;
  sessionService: Pick<SessionService, 'findActive'>;
  whoamiRequiredAal: RequiredAal;
  publicBaseUrl: string;
}

/** A page of the caller's other sessions: offset paging (Kratos's `page`, 0-based in links, and `per_page`). */
export interface OwnSessionsPage {
  items: Session[];
  total: number;
}

export function createOwnSessions(deps: OwnSessionsDeps) {
  async function current(token: string | undefined, now: Date): Promise<Session> {
    const session = await deps.sessionService.findActive(token, now);
    if (!session) throw noSession();
    return session;
  }

  async function othersOf(session: Session, page: { page: number; perPage: number }, now: Date): Promise<OwnSessionsPage> {
    const others: Session[] = [];
    let after: string | undefined;
    do {
      const read = await deps.sessions.listByIdentity(session.identityId, { pageSize: READ_PAGE, after, active: true, now });
      others.push(...read.items.filter((s) => s.id !== session.id));
      after = read.next;
    } while (after);
    others.sort((a, b) => b.authenticatedAt.getTime() - a.authenticatedAt.getTime() || (a.id < b.id ? -1 : 1));
    return { items: others.slice(page.page * page.perPage, (page.page + 1) * page.perPage), total: others.length };
  }

  return {
    /** `GET /sessions`: the other active sessions, newest first; under `highest_available`, only at the level whoami needs. */
    async list(token: string | undefined, page: { page: number; perPage: number }, now: Date): Promise<OwnSessionsPage> {
      const session = await current(token, now);
      checkAal(session, deps.whoamiRequiredAal, deps.publicBaseUrl);
      return othersOf(session, page, now);
    },

    /** The other active sessions of a session already read and checked (the settings page's card), newest first. */
    othersOf,

    /** `DELETE /sessions`: ends every other session of the caller's identity; how many were active. */
    async revokeOthers(token: string | undefined, now: Date): Promise<number> {
      const session = await current(token, now);
      return deps.sessions.revokeAllOfIdentity(session.identityId, session.id);
    },

    /** `DELETE /sessions/{id}`: ends one other session of the caller's (an unknown or another's id: nothing, as Kratos). */
    async revokeOne(token: string | undefined, id: string | undefined, now: Date): Promise<void> {
      const session = await current(token, now);
      if (!id || !UUID.test(id)) throw new BadRequestError('The session id must be a UUID.', { message: 'could not parse UUID' });
      if (id.toLowerCase() === session.id) throw new BadRequestError('Use the logout flow to end the current session.', { message: 'cannot revoke current session' });
      const other = await deps.sessions.getById(id.toLowerCase());
      if (other?.identityId === session.identityId && other.tokenHash) await deps.sessions.revokeByTokenHash(other.tokenHash);
    },
  };
}
export type OwnSessions = ReturnType<typeof createOwnSessions>;
