/**
 * Kratos's `revoke_active_sessions` hook (login, recovery, settings but for profile changes): once the flow succeeded,
 * every other session of the identity ends; the one the flow issued, or the one it was made with, stays. After a
 * password change or a recovery, whoever held an old session (a stolen token, a forgotten device) is out.
 */
import type { AfterHook } from '../flows/hooks.js';
import type { SessionRepository } from '../session/repository.js';

export function revokeActiveSessionsHook(deps: { sessions: Pick<SessionRepository, 'revokeAllOfIdentity'> }): AfterHook {
  return {
    name: 'revoke_active_sessions',
    async committed(ctx) {
      const keep = ctx.session?.session.id ?? ctx.actingSessionId;
      await deps.sessions.revokeAllOfIdentity(ctx.identity.id, keep);
    },
  };
}
