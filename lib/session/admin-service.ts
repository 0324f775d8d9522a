/** The admin API for sessions: list (all, or an identity's), get, revoke one or all, extend. */
import type { Config } from '../config/index.js';
import { BadRequestError, NotFoundError } from '../errors.js';
import { parseIdentityId } from '../identity/admin-service.js';
import type { IdentityRepository, Page } from '../identity/repository.js';
import type { Session } from './model.js';
import type { SessionRepository } from './repository.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface SessionListOptions {
  pageSize: number;
  pageToken?: string;
  active?: boolean;
}

export function createSessionAdmin(
  sessions: SessionRepository,
  identities: IdentityRepository,
  config: Pick<Config, 'sessionLifespanMs'>,
) {
  async function byId(raw: string | undefined): Promise<Session> {
    if (!raw || !UUID.test(raw)) throw new BadRequestError('The session id is malformed; it must be a UUID.');
    const session = await sessions.getById(raw.toLowerCase());
    if (!session) throw new NotFoundError('Unable to locate the resource');
    return session;
  }

  async function identityExists(rawId: string | undefined): Promise<string> {
    const id = parseIdentityId(rawId);
    if (!(await identities.get(id))) throw new NotFoundError('Unable to locate the resource');
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
      const expiresAt = new Date(now.getTime() + config.sessionLifespanMs);
      if (!(await sessions.extend(session.tokenHash!, expiresAt))) throw new NotFoundError('Unable to locate the resource');
      return { ...session, expiresAt };
    },
  };
}
export type SessionAdmin = ReturnType<typeof createSessionAdmin>;
