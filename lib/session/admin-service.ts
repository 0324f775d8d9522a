/** The admin API for sessions: list (all, or an identity's), get, revoke one or all, extend. */
import { BadRequestError, NotFoundError } from '../errors/index.js';
import type { IdentityRepository } from '../identity/repository.js';
import type { Page } from '../util/page.js';
import { events } from '../tracing/events.js';
import { canonicalUuid } from '../util/ids.js';
import type { Session } from './model.js';
import type { SessionRepository } from './repository.js';

export interface SessionListOptions {
  pageSize: number;
  pageToken?: string;
  active?: boolean;
}

export interface SessionAdminDeps {
  sessions: SessionRepository;
  identities: IdentityRepository;
  sessionLifespanMs: number;
}

export function createSessionAdmin({ sessions, identities, sessionLifespanMs }: SessionAdminDeps) {
  async function byId(raw: string | undefined): Promise<Session> {
    const id = canonicalUuid(raw);
    if (!id) throw new BadRequestError('The session id is malformed; it must be a UUID.');
    const session = await sessions.getById(id);
    if (!session) throw new NotFoundError();
    return session;
  }

  async function identityExists(rawId: string | undefined): Promise<string> {
    const id = canonicalUuid(rawId);
    if (!id || !(await identities.get(id))) throw new NotFoundError();
    return id;
  }

  return {
    list: (options: SessionListOptions, now: Date): Promise<Page<Session>> =>
      sessions.list({ pageSize: options.pageSize, after: options.pageToken, active: options.active, now }),

    async listOfIdentity(identityId: string | undefined, options: SessionListOptions, now: Date): Promise<Page<Session>> {
      const id = await identityExists(identityId);
      return sessions.listByIdentity(id, { pageSize: options.pageSize, after: options.pageToken, active: options.active, now });
    },

    get: byId,

    async revoke(id: string | undefined): Promise<void> {
      const session = await byId(id);
      await sessions.revokeByTokenHash(session.tokenHash!);
    },

    async revokeAllOfIdentity(identityId: string | undefined): Promise<void> {
      await sessions.revokeAllOfIdentity(await identityExists(identityId));
    },

    async extend(id: string | undefined, now: Date): Promise<Session> {
      const session = await byId(id);
      const expiresAt = new Date(now.getTime() + sessionLifespanMs);
      if (!(await sessions.extend(session.tokenHash!, expiresAt))) throw new NotFoundError();
      events.sessionLifespanExtended(session.identityId, session.id, expiresAt);
      return { ...session, expiresAt };
    },
  };
}
export type SessionAdmin = ReturnType<typeof createSessionAdmin>;
