/**
 * Hooks, as the flows run them (Kratos's `selfservice/hook` executors): configured per flow and phase, `before` a
 * flow is made and `after` it succeeded, and for `after` per method (a method's own list replaces the flow's). The
 * flows call one runner (lib/hooks builds it from the configuration); a hook takes part in the flow's own transaction
 * (`prepare`: add writes, change the identity before it is stored, issue the session) and acts once it is committed
 * (`committed`). Kratos's `session` hook is one of them.
 */
import { WebHookMessagesError } from '../errors/index.js';
import type { Identity } from '../identity/model.js';
import type { UiText } from '../text/messages.js';
import type { Session } from '../session/model.js';
import type { IssuedSession } from '../session/service.js';
import type { Writes } from '../util/writes.js';
import type { FlowRequest } from './request.js';
import type { FlowRecord, FlowType } from './model.js';

/** An entry of Kratos's `continue_with` (`set_ory_session_token`, `show_verification_ui`, `redirect_browser_to`, ...). */
export type ContinueWith = Record<string, unknown>;

/** What a `before` hook sees: the flow about to be answered. */
export interface BeforeContext {
  flowType: FlowType;
  flow: FlowRecord;
  request: FlowRequest;
  now: Date;
  /** Settings: the session the flow is made for. */
  session?: Session;
}

/** What an `after` hook sees of a flow that succeeded, and may add to. */
export interface AfterContext {
  flowType: FlowType;
  /** The method the flow succeeded with (`password`, `profile`, `code`, ...). */
  method: string;
  /** Social sign-in: the provider that vouched (the session a hook issues names it). */
  provider?: string;
  flow: FlowRecord;
  request: FlowRequest;
  now: Date;
  /** Registration's new identity (hooks may still change it before it is stored), or the one signed in or changed. */
  identity: Identity;
  /** Settings: the identity as it was before the change. */
  previous?: Identity;
  /** The session the flow issued (login, recovery), or the one registration's `session` hook issues. */
  session?: IssuedSession;
  /** Settings: the session the change was made with. */
  actingSessionId?: string;
  /** Settings: that session (web hooks' `ctx.session`). */
  actingSession?: Session;
  /** Writes committed with the flow's own, all or nothing. */
  writes: Writes[];
  /** What the answer's `continue_with` lists after what the flow itself puts there. */
  continueWith: ContinueWith[];
  /** Where a browser form post goes instead of the flow's default (show_verification_ui). */
  browserRedirect?: string;
}

export interface BeforeHook {
  readonly name: string;
  run(ctx: BeforeContext): Promise<void>;
}

export interface AfterHook {
  readonly name: string;
  /** Before the flow's writes are committed: may change `identity`, issue the session, add writes. */
  prepare?(ctx: AfterContext): void | Promise<void>;
  /** Once they are committed. */
  committed?(ctx: AfterContext): void | Promise<void>;
}

/** Runs the hooks configured for a flow, phase and method, in their order. */
export interface HookRunner {
  before(ctx: BeforeContext): Promise<void>;
  prepare(ctx: AfterContext): Promise<void>;
  committed(ctx: AfterContext): Promise<void>;
}

/** No hooks at all (a flow built without a runner). */
export const NO_HOOKS: HookRunner = { before: async () => {}, prepare: async () => {}, committed: async () => {} };

/**
 * Runs a flow's `prepare` hooks; a web hook's interrupting messages become the flow's failure (`fail`), each on the
 * node its pointer names (a node the flow does not have is added by the renderer), the rest on the flow.
 */
export async function prepareHooks(hooks: HookRunner, ctx: AfterContext, fail: (flowMessages: UiText[], nodeMessages: Record<string, UiText[]>) => Error): Promise<void> {
  try {
    await hooks.prepare(ctx);
  } catch (error) {
    if (!(error instanceof WebHookMessagesError)) throw error;
    const flowMessages: UiText[] = [];
    const nodeMessages: Record<string, UiText[]> = {};
    for (const { node, messages } of error.messages) {
      if (node) (nodeMessages[node] ??= []).push(...messages);
      else flowMessages.push(...messages);
    }
    throw fail(flowMessages, nodeMessages);
  }
}
