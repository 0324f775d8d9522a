/**
 * Kratos's `session` hook (registration): the new identity is signed in, its first session written in the
 * registration's own transaction (so there is never an identity without the session its registration answered).
 */
import type { AfterHook } from '../flows/hooks.js';
import { assuranceLevelOf } from '../session/model.js';
import type { SessionRepository } from '../session/repository.js';
import type { SessionService } from '../session/service.js';
import { events } from '../tracing/events.js';

export function sessionHook(deps: { sessionService: SessionService; sessions: Pick<SessionRepository, 'add'> }): AfterHook {
  return {
    name: 'session',
    prepare(ctx) {
      const issued = deps.sessionService.issue(ctx.identity, ctx.request, ctx.now, [{ method: ctx.method, aal: 'aal1', completedAt: ctx.now, ...(ctx.provider ? { provider: ctx.provider } : {}) }]);
      ctx.session = issued;
      ctx.writes.push(deps.sessions.add(issued.session, issued.tokenHash));
    },
    committed(ctx) {
      const issued = ctx.session!;
      // What Kratos emits for the session a registration issues, and the login it stands for (no AAL was requested).
      events.sessionIssued(ctx.identity.id, issued.session.id, assuranceLevelOf(issued.session.amr));
      events.loginSucceeded({ flowId: ctx.flow.id, flowType: ctx.flow.mode, identityId: ctx.identity.id, sessionId: issued.session.id, method: ctx.method, provider: ctx.provider, refresh: false, requestedAal: '' });
    },
  };
}
