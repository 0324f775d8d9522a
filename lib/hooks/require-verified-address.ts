/**
 * Kratos's `require_verified_address` (login, after; `selfservice/hook/require_verified_address.go`): an identity
 * none of whose addresses is verified is not signed in. With verification on, its first address is sent a code (the
 * verification flow and the mail committed on their own: the login's writes, its session included, are not), and
 * the answer is Kratos's: 403 `session_verified_address_required` with that flow in `continue_with`, or for a
 * browser's form post a 303 to the verification UI. An identity without any address is a misconfiguration (500).
 */
import type { BrowserConfig } from '../config/browser.js';
import { AddressNotVerifiedError, KratosError } from '../errors/index.js';
import { flowUiUrl } from '../flows/browser.js';
import type { AfterHook } from '../flows/hooks.js';
import type { VerificationSender } from '../strategies/code/verification-sender.js';
import type { Writes } from '../util/writes.js';

export interface RequireVerifiedAddressDeps {
  browser: BrowserConfig;
  /** With verification on. */
  verification?: VerificationSender;
  commit: (...writes: Writes[]) => Promise<void>;
}

export function requireVerifiedAddressHook(deps: RequireVerifiedAddressDeps): AfterHook {
  return {
    name: 'require_verified_address',
    async prepare(ctx) {
      const addresses = ctx.identity.verifiableAddresses ?? [];
      if (addresses.length === 0) {
        throw new KratosError(500, { reason: 'A misconfiguration prevents login. Expected to find a verification address but this identity does not have one assigned.' });
      }
      if (addresses.some((a) => a.verified)) return;
      const address = addresses.find((a) => a.value !== '');
      if (!deps.verification || !address) throw new AddressNotVerifiedError();
      const sent = deps.verification.send(ctx.identity, address.value, ctx.flow.mode, ctx.request, ctx.flow.returnTo, ctx.now);
      await deps.commit(...sent.writes);
      const url = ctx.flow.mode === 'browser' ? flowUiUrl(deps, 'verification', sent.flow.id) : undefined;
      throw new AddressNotVerifiedError({ action: 'show_verification_ui', flow: { id: sent.flow.id, verifiable_address: address.value, ...(url ? { url } : {}) } }, url);
    },
  };
}
