/**
 * Where browser flows send the browser (Kratos's flow error handlers and hooks): back to the flow's UI with the flow
 * after a validation error, to a replacement flow when it expired, to the error UI with a stored error for anything
 * else, and after a success to the flow's `return_to` or the configured default.
 */
import { AddressNotVerifiedError, BrowserLocationChangeRequiredError, FlowExpiredError, FlowValidationError, KratosError } from '../errors/index.js';
import { redirectAnswer, withQuery, type FlowAnswer } from './answer.js';
import type { FlowDeps, FlowRequest } from './common.js';
import { storeSelfServiceError } from './errors.js';
import type { FlowRecord, FlowType, SavedUi } from './model.js';

/** The most of a failed submit's values a flow keeps to show again (a flow is one item of at most 400 KiB). */
const MAX_SAVED_VALUES_BYTES = 64 * 1024;

/** What a failed submit leaves on its flow: its values only when they are small enough to keep (never the caller's megabyte). */
function bounded(saved: SavedUi): SavedUi {
  return Buffer.byteLength(JSON.stringify(saved.values) ?? '', 'utf8') > MAX_SAVED_VALUES_BYTES ? { ...saved, values: {} } : saved;
}

/** `<ui_url>?flow=<id>`. */
export const flowUiUrl = (deps: Pick<FlowDeps, 'browser'>, type: FlowType, flowId: string) => withQuery(deps.browser.uiUrls[type], { flow: flowId });

/** After a success: the flow's return_to, else `selfservice.flows.<type>.after.default_browser_return_url`, else the default. */
export function afterSuccessUrl(deps: Pick<FlowDeps, 'browser'>, flow: Pick<FlowRecord, 'returnTo'>, type: 'login' | 'registration' | 'settings' | 'logout', fallback?: string): string {
  return flow.returnTo ?? deps.browser.afterReturnUrls[type] ?? fallback ?? deps.browser.defaultReturnUrl;
}

/** Stores `error` for the error UI and sends the browser there (Kratos's errorx Manager.Forward). */
export async function forwardToErrorUi(deps: Pick<FlowDeps, 'browser' | 'errors'>, error: KratosError, now: Date): Promise<FlowAnswer> {
  const id = await storeSelfServiceError(deps.errors, error, deps.browser.errorLifespanMs, now);
  return redirectAnswer(withQuery(deps.browser.uiUrls.error, { id }));
}

/**
 * How a failed submit of a browser flow is answered. A validation error is saved on the flow (as Kratos saves it) and,
 * for a form post, answered with a redirect back to the flow's UI; for a form post an expired flow redirects to its
 * replacement and any other typed error to the error UI. Undefined: answer with the error itself (JSON).
 */
export async function browserFailure(deps: FlowDeps, type: FlowType, flow: FlowRecord | undefined, error: unknown, request: FlowRequest, now: Date): Promise<FlowAnswer | undefined> {
  if (!flow || flow.mode !== 'browser') return undefined;
  if (error instanceof FlowValidationError) {
    if (error.saved) await deps.flows.saveUi(flow.id, bounded(error.saved as SavedUi));
    return request.browser.json ? undefined : redirectAnswer(flowUiUrl(deps, type, flow.id));
  }
  if (request.browser.json) return undefined;
  // The flow goes on elsewhere (a provider's sign-in page): a form post follows it there.
  if (error instanceof BrowserLocationChangeRequiredError) return redirectAnswer(error.redirectBrowserTo);
  // A login refused until an address is verified: on to the verification flow that mailed its code.
  if (error instanceof AddressNotVerifiedError && error.redirectBrowserTo) return redirectAnswer(error.redirectBrowserTo);
  if (error instanceof FlowExpiredError) return redirectAnswer(flowUiUrl(deps, type, error.useFlowId));
  if (error instanceof KratosError) return forwardToErrorUi(deps, error, now);
  return undefined;
}
