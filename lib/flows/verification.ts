/**
 * Address verification (Kratos's `selfservice/flow/verification`): a method proves an address (`code`: a code mailed
 * to it, from this flow or from the verifier hook after registration and settings), and the address is marked
 * verified in one transaction with the proof's single use. A flow done already is replaced by a new one saying so.
 */
import { FlowAlreadyUsedError, FlowReplacedError } from '../errors/index.js';
import { withAddressVerified } from '../identity/addresses.js';
import { revised } from '../identity/model.js';
import type { IdentityRepository } from '../identity/repository.js';
import type { SessionRepository } from '../session/repository.js';
import { messages } from '../text/messages.js';
import { events } from '../tracing/events.js';
import { redirectAnswer } from './answer.js';
import { createAddressFlow, type AddressFlowDeps } from './address-flow.js';
import { flowUiUrl } from './browser.js';
import type { AfterContext } from './hooks.js';

export interface VerificationDeps extends AddressFlowDeps {
  identities: Pick<IdentityRepository, 'update'>;
  sessions: Pick<SessionRepository, 'refreshIdentity'>;
  enabled: boolean;
  /** The method a new flow is for (`selfservice.flows.verification.use`). */
  use: string;
  lifespanMs: number;
}

export function createVerificationFlows(deps: VerificationDeps) {
  const flow = createAddressFlow(deps, {
    type: 'verification',
    enabled: deps.enabled,
    use: deps.use,
    lifespanMs: deps.lifespanMs,
    forSignedIn: true,
    linkTakesOver: () => true,
    doneMessages: [messages.verificationSucceeded()],
    /**
     * Kratos: a submit to a verification flow done already replaces it with a new one saying so (4070002): a browser is
     * sent to the new flow, JSON gets 410 `self_service_flow_replaced` naming it.
     */
    async afterDone(done, ctx) {
      const message = messages.flowAlreadyCompleted('verification');
      const replacement = await ctx.replace(message);
      if (done.mode === 'browser' && !ctx.request.browser.json) return redirectAnswer(flowUiUrl(deps, 'verification', replacement.id));
      throw new FlowReplacedError(message.text, replacement.id);
    },
    async passed(verification, proof, method, request, now) {
      const { identity, address } = proof;
      const next = revised(withAddressVerified(identity, address, now), identity);
      const hooked: AfterContext = { flowType: 'verification', method, flow: verification, request, now, identity: next, writes: [], continueWith: [] };
      await deps.hooks.prepare(hooked);
      try {
        await deps.commit(...proof.writes, deps.identities.update(next, identity), ...hooked.writes);
      } catch (error) {
        if (error instanceof FlowAlreadyUsedError) return proof.spent();
        throw error;
      }
      await deps.sessions.refreshIdentity(next);
      events.identityUpdated(identity.id);
      events.codeFlowSucceeded('verification', verification.id, verification.mode, identity.id);
      await deps.hooks.committed(hooked);
      return flow.show({ ...verification, state: 'passed_challenge', ui: undefined, ...(hooked.continueWith.length ? { continueWith: hooked.continueWith } : {}) }, request, {});
    },
  });
  return { init: flow.init, get: flow.get, link: flow.link, submit: flow.submit };
}
export type VerificationFlows = ReturnType<typeof createVerificationFlows>;
