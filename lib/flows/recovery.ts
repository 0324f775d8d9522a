/**
 * Account recovery (Kratos's `selfservice/flow/recovery`): a method proves an address the identity recovers with
 * (`code`: a code mailed to it), and then the identity is signed in (AMR `<method>_recovery`) and sent to a settings
 * flow to choose a new password, in one transaction with the proof's single use. A code that reached a verifiable
 * address verifies it too (Kratos's markRecoveryAddressVerified).
 */
import { randomUUID } from 'node:crypto';
import { FlowAlreadyUsedError } from '../errors/index.js';
import { withAddressVerified } from '../identity/addresses.js';
import { revised } from '../identity/model.js';
import type { IdentityRepository } from '../identity/repository.js';
import { assuranceLevelOf } from '../session/model.js';
import type { SessionRepository } from '../session/repository.js';
import { messages } from '../text/messages.js';
import { events } from '../tracing/events.js';
import { jsonAnswer, redirectAnswer } from './answer.js';
import { createAddressFlow, type AddressFlowDeps } from './address-flow.js';
import { flowUiUrl } from './browser.js';
import { csrfFor } from './common.js';
import { maskCsrfToken } from './csrf.js';
import type { AfterContext } from './hooks.js';
import type { LoginThrottle } from './throttle.js';
import type { FlowRecord } from './model.js';

export interface RecoveryDeps extends AddressFlowDeps {
  identities: Pick<IdentityRepository, 'update' | 'unchanged'>;
  /** Its counters are forgotten once the account is recovered. */
  throttle: Pick<LoginThrottle, 'clear'>;
  sessions: Pick<SessionRepository, 'add' | 'refreshIdentity'>;
  enabled: boolean;
  /** The method a new flow is for (`selfservice.flows.recovery.use`). */
  use: string;
  lifespanMs: number;
  settingsLifespanMs: number;
  privilegedMaxAgeMs: number;
}

export function createRecoveryFlows(deps: RecoveryDeps) {
  const flow = createAddressFlow(deps, {
    type: 'recovery',
    enabled: deps.enabled,
    use: deps.use,
    lifespanMs: deps.lifespanMs,
    forSignedIn: false,
    linkTakesOver: (flow) => flow.madeByAdmin === true,
    async passed(recovery, proof, method, request, now) {
      const { identity, address } = proof;
      const verifies = identity.verifiableAddresses?.some((a) => a.value === address && !a.verified) ?? false;
      const next = verifies ? revised(withAddressVerified(identity, address, now), identity) : identity;
      const issued = deps.sessionService.issue(next, request, now, [{ method: `${method}_recovery`, aal: 'aal1', completedAt: now }]);
      const privilegedUntil = new Date(now.getTime() + deps.privilegedMaxAgeMs);
      const csrf = recovery.mode === 'browser' ? csrfFor(request) : undefined;
      const settings: FlowRecord = {
        id: randomUUID(),
        type: 'settings',
        mode: recovery.mode,
        state: 'show_form',
        requestUrl: recovery.requestUrl,
        issuedAt: now,
        expiresAt: new Date(now.getTime() + deps.settingsLifespanMs),
        identityId: identity.id,
        schemaId: identity.schemaId,
        messages: [messages.recoverySucceeded(deps.privilegedMaxAgeMs / 60_000, privilegedUntil)],
        ...(recovery.returnTo ? { returnTo: recovery.returnTo } : {}),
        ...(csrf ? { csrfToken: maskCsrfToken(csrf.token) } : {}),
      };
      const hooked: AfterContext = { flowType: 'recovery', method, flow: recovery, request, now, identity: next, session: issued, writes: [], continueWith: [] };
      await deps.hooks.prepare(hooked);
      try {
        await deps.commit(
          ...proof.writes,
          deps.sessions.add(issued.session, issued.tokenHash),
          deps.flows.add(settings),
          // The identity is still as read (a disable that won the race leaves no session behind with a stale copy).
          verifies ? deps.identities.update(next, identity) : deps.identities.unchanged(identity.id, identity.revision),
          // Recovery proves the account: whatever guessing locked its identifiers out is forgotten.
          ...deps.throttle.clear(identity.identifiers ?? []),
          ...hooked.writes,
        );
      } catch (error) {
        // The proof was spent by a submission that won the race, or the flow expired meanwhile.
        if (error instanceof FlowAlreadyUsedError) return proof.spent();
        throw error;
      }
      if (verifies) await deps.sessions.refreshIdentity(next);
      events.sessionIssued(identity.id, issued.session.id, assuranceLevelOf(issued.session.amr));
      events.codeFlowSucceeded('recovery', recovery.id, recovery.mode, identity.id);
      await deps.hooks.committed(hooked);
      const settingsUrl = flowUiUrl(deps, 'settings', settings.id);
      const continueWith: Record<string, unknown>[] =
        recovery.mode === 'api'
          ? [
              { action: 'set_ory_session_token', ory_session_token: issued.token },
              { action: 'show_settings_ui', flow: { id: settings.id } },
            ]
          : [{ action: 'show_settings_ui', flow: { id: settings.id, url: settingsUrl } }];
      const done: FlowRecord = { ...recovery, state: 'passed_challenge', continueWith: [...continueWith, ...hooked.continueWith], ui: undefined };
      if (recovery.mode === 'api') return jsonAnswer(flow.view(done, undefined));
      const cookies = { session: { token: issued.token, expiresAt: issued.session.expiresAt }, ...(csrf?.isNew ? { csrfToken: csrf.token } : {}) };
      return request.browser.json ? jsonAnswer(flow.view(done, csrf?.token), 200, cookies) : redirectAnswer(hooked.browserRedirect ?? settingsUrl, cookies);
    },
  });
  return { init: flow.init, get: flow.get, link: flow.link, submit: flow.submit };
}
export type RecoveryFlows = ReturnType<typeof createRecoveryFlows>;
