/** Sessions in memory, under the hash of their token, each with its copy of the identity (as session-repository.ts). */
import { NoActiveSessionError } from '../../errors/index.js';
import { sessionCopyOf } from '../../identity/model.js';
import { isSessionActive, type Session } from '../../session/model.js';
import type { SessionListRequest, SessionRepository } from '../../session/repository.js';
import { copy, page, type memoryTransactions } from './core.js';
import type { MemoryTables } from './tables.js';

export function memorySessions(t: MemoryTables, tx: ReturnType<typeof memoryTransactions>): SessionRepository {
  const keep = (request: SessionListRequest) => (session: Session) => request.active === undefined || isSessionActive(session, request.now) === request.active;
  const ofIdentity = (identityId: string) => [...t.sessions.values()].filter((s) => s.identityId === identityId);
  const out = (session: Session) => copy(session);

  return {
    add: (session, tokenHash) =>
      tx.batch({
        key: `session#${tokenHash}`,
        check: () => (t.sessions.has(tokenHash) ? new Error('session id collision') : undefined),
        apply: () => t.sessions.set(tokenHash, copy({ ...session, identity: sessionCopyOf(session.identity), tokenHash })),
      }),
    stepUp: (tokenHash, change) =>
      tx.batch({
        key: `session#${tokenHash}`,
        check: () => (t.sessions.get(tokenHash)?.active ? undefined : new NoActiveSessionError()),
        apply: () => {
          const session = t.sessions.get(tokenHash)!;
          t.sessions.set(tokenHash, copy({ ...session, amr: change.amr, authenticatedAt: change.authenticatedAt, identity: sessionCopyOf(change.identity) }));
        },
      }),
    getByTokenHash: async (tokenHash) => {
      const found = t.sessions.get(tokenHash);
      return found ? out(found) : undefined;
    },
    getById: async (id) => {
      const found = [...t.sessions.values()].find((s) => s.id === id);
      return found ? out(found) : undefined;
    },
    revokeByTokenHash: async (tokenHash) => {
      await Promise.resolve();
      const found = t.sessions.get(tokenHash);
      if (!found) return undefined;
      found.active = false;
      return { sessionId: found.id, identityId: found.identityId };
    },
    list: async (request) => {
      const result = page([...t.sessions.values()].filter(keep(request)), (s) => s.id, request.pageSize, request.after);
      return { items: result.items.map(out), next: result.next };
    },
    listByIdentity: async (identityId, request) => {
      const result = page(ofIdentity(identityId).filter(keep(request)), (s) => `${s.issuedAt.toISOString()}#${s.id}`, request.pageSize, request.after);
      return { items: result.items.map(out), next: result.next };
    },
    revokeAllOfIdentity: async (identityId, except) => {
      await Promise.resolve();
      const active = ofIdentity(identityId).filter((s) => s.active && s.id !== except);
      for (const session of active) session.active = false;
      return active.length;
    },
    extend: async (tokenHash, expiresAt) => {
      await Promise.resolve();
      const found = t.sessions.get(tokenHash);
      if (!found) return false;
      found.expiresAt = new Date(expiresAt);
      return true;
    },
    refreshIdentity: async (identity) => {
      await Promise.resolve();
      for (const session of ofIdentity(identity.id)) session.identity = copy(sessionCopyOf(identity));
    },
    deleteAllOfIdentity: async (identityId) => {
      await Promise.resolve();
      for (const [hash, session] of t.sessions) if (session.identityId === identityId) t.sessions.delete(hash);
    },
  };
}
