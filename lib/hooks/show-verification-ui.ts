/**
 * Kratos's `show_verification_ui` hook: a browser whose flow started a verification (the verifier's
 * `show_verification_ui` in continue_with) is sent to that verification flow's UI instead of where it was going,
 * which the verification flow leads on to once done. API clients read continue_with themselves.
 */
import type { AfterHook } from '../flows/hooks.js';

export function showVerificationUiHook(): AfterHook {
  return {
    name: 'show_verification_ui',
    prepare(ctx) {
      if (ctx.flow.mode !== 'browser') return;
      const next = ctx.continueWith.find((entry) => entry.action === 'show_verification_ui');
      const url = (next?.flow as { url?: unknown } | undefined)?.url;
      if (typeof url === 'string') ctx.browserRedirect = url;
    },
  };
}
