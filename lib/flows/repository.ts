import type { Writes } from '../util/writes.js';
import type { FirstScreenAnswer, FlowRecord, FormScreen, OidcFlowState, SavedUi } from './model.js';

/**
 * Self-service flows as the flows themselves use them: create and read, keep what a browser's failed submit is to
 * show, and the conditional steps that make a flow single use. What a method keeps on a flow while it runs (a code
 * sent, a challenge) is its strategy's own repository.
 */
export interface FlowRepository {
  create(flow: FlowRecord): Promise<void>;
  get(id: string): Promise<FlowRecord | undefined>;
  /** A new flow as part of a change (a verification flow a registration starts, the settings flow recovery opens). */
  add(flow: FlowRecord): Writes;
  /**
   * Login and registration are single use: only an open (`choose_method`, or `sent_email` while a code is awaited),
   * unexpired flow passes, once; on commit FlowAlreadyUsedError otherwise.
   */
  complete(flowId: string, now: Date): Writes;
  /**
   * Moves an open (`choose_method`) login or registration flow to another screen of its two, with what the first
   * screen took (none going back to it) and what the screen is to show (the messages it started with go);
   * FlowAlreadyUsedError once the flow is done.
   */
  showScreen(id: string, screen: FormScreen, firstScreen: FirstScreenAnswer | undefined, ui: SavedUi): Promise<void>;
  /** Keeps what a failed browser submit is to show (values, messages) on the flow, for its UI to read back. */
  saveUi(id: string, ui: SavedUi): Promise<void>;
  /** Records a settings flow's success, and what its UI is to show of it (the success message). */
  markSucceeded(id: string, ui: SavedUi): Promise<void>;
  /** A browser flow made without a browser (the admin's recovery link) takes the anti-CSRF token of the one that opens it. */
  setCsrfToken(flowId: string, maskedToken: string): Promise<void>;
  /**
   * Keeps a social sign-in's state on an open flow (a new one replaces any earlier), for its callback; `active`: the
   * flow is now that method's (a registration asking for the traits a provider left out).
   */
  setOidcState(flowId: string, state: OidcFlowState, active?: string): Promise<void>;
  /**
   * Keeps what `method` needs between two of its steps on the flow (its entry of `internal`; undefined removes it),
   * replacing what it kept before.
   */
  setInternal(flowId: string, method: string, value: unknown): Promise<void>;
}
