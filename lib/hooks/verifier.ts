/**
 * Kratos's verifier (`selfservice/hook/verification.go`), run first after registration and after a profile change
 * whenever verification is on: a new verifiable address (registration: its first; settings: one the change added) is
 * sent a code, its verification flow and mail written in the flow's own transaction, the address marked `sent`, and
 * `show_verification_ui` added to continue_with. An unchanged unverified address is not mailed again on every save.
 */
import type { BrowserConfig } from '../config/browser.js';
import { afterSuccessUrl, flowUiUrl } from '../flows/browser.js';
import type { AfterHook } from '../flows/hooks.js';
import type { Identity } from '../identity/model.js';
import type { VerificationSender } from '../strategies/code/verification-sender.js';

export interface VerifierDeps {
  sender: VerificationSender;
  browser: BrowserConfig;
}

/**
 * The address the hook mails: registration's first verifiable one not verified already (a registration code verified
 * its address); after settings, one the change added.
 */
function newAddress(identity: Identity, previous: Identity | undefined): string | undefined {
  if (!previous) return identity.verifiableAddresses?.find((a) => !a.verified)?.value;
  return identity.verifiableAddresses?.find((a) => !previous.verifiableAddresses?.some((b) => b.value === a.value))?.value;
}

export function verifierHook(deps: VerifierDeps): AfterHook {
  return {
    name: 'verification',
    prepare(ctx) {
      const address = newAddress(ctx.identity, ctx.flowType === 'registration' ? undefined : ctx.previous);
      if (!address) return;
      const { flow, request, now } = ctx;
      // After registration the verification leads on to where registration would have gone.
      const returnTo = ctx.flowType !== 'registration' ? undefined : flow.mode === 'browser' ? afterSuccessUrl(deps, flow, 'registration') : flow.returnTo;
      const sent = deps.sender.send(ctx.identity, address, flow.mode, request, returnTo, now);
      ctx.writes.push(...sent.writes);
      ctx.identity = {
        ...ctx.identity,
        verifiableAddresses: ctx.identity.verifiableAddresses?.map((a) => (a.value === address && a.status === 'pending' ? { ...a, status: 'sent' as const, updatedAt: now } : a)),
      };
      const uiUrl = flow.mode === 'browser' ? { url: flowUiUrl(deps, 'verification', sent.flow.id) } : {};
      ctx.continueWith.push({ action: 'show_verification_ui', flow: { id: sent.flow.id, verifiable_address: address, ...uiUrl } });
    },
  };
}
