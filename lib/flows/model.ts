import type { UiText } from '../text/messages.js';

export type FlowType = 'login' | 'registration' | 'settings';
/**
 * choose_method: open for a submit; passed_challenge: a login/registration submit succeeded (single use);
 * show_form / success: a settings flow before and after a successful change.
 */
export type FlowState = 'choose_method' | 'passed_challenge' | 'show_form' | 'success';

/** What is stored of a flow; its ui is rendered from it (and the identity schema) on every answer. */
export interface FlowRecord {
  id: string;
  type: FlowType;
  state: FlowState;
  requestUrl: string;
  issuedAt: Date;
  expiresAt: Date;
  /** Login: `refresh=true` was requested. */
  refresh?: boolean;
  /** Settings: the identity the flow belongs to. */
  identityId?: string;
  /** Flow-level messages a new flow starts with (a replacement for an expired flow says why). */
  messages?: UiText[];
}

export interface UiNodeAttributes {
  name: string;
  type: string;
  value?: unknown;
  required?: boolean;
  autocomplete?: string;
  disabled: boolean;
  node_type: 'input';
}

export interface UiNode {
  type: 'input';
  group: 'default' | 'password' | 'profile';
  attributes: UiNodeAttributes;
  messages: UiText[];
  meta: { label?: UiText };
}

export interface UiContainer {
  action: string;
  method: 'POST';
  nodes: UiNode[];
  messages?: UiText[];
}

/** A flow as Kratos serialises it. */
export type FlowView = Record<string, unknown> & { id: string; ui: UiContainer };

export function isExpired(flow: FlowRecord, now: Date): boolean {
  return flow.expiresAt.getTime() <= now.getTime();
}
