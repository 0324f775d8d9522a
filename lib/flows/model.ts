import type { UiText } from '../text/messages.js';

export type FlowType = 'login' | 'registration' | 'settings' | 'recovery' | 'verification';
/** Kratos's flow `type`: `api` for native apps (a session token), `browser` for browsers (cookies, CSRF, redirects). */
export type FlowMode = 'api' | 'browser';

/** What a failed browser submit leaves on its flow for the UI to show: values echoed, messages (Kratos saves the flow). */
export interface SavedUi {
  values: Record<string, unknown>;
  messages: UiText[];
  nodeMessages: Record<string, UiText[]>;
}
/**
 * choose_method: open for a submit; sent_email: a code was sent (the code method), open for it; passed_challenge: a
 * login/registration submit succeeded (single use);
 * show_form / success: a settings flow before and after a successful change.
 */
export type FlowState = 'choose_method' | 'sent_email' | 'passed_challenge' | 'show_form' | 'success';

/**
 * Login and registration asked in two screens (Kratos's `identifier_first` login and `profile_first` registration
 * styles): the identifier (`identify`) or the traits (`profile`) first, then the methods that finish the flow for them
 * (`credentials`).
 */
export type FormScreen = 'identify' | 'profile' | 'credentials';

/** The screen a two-screen flow of `type` starts on. */
export const firstScreenOf = (type: FlowType): FormScreen => (type === 'login' ? 'identify' : 'profile');

/** What the first screen took, shown (as hidden fields) by the second. */
export interface FirstScreenAnswer {
  /** Login: the identifier. */
  identifier?: string;
  /** Registration: the traits. */
  traits?: Record<string, unknown>;
}

/** The code a flow sent (recovery, verification, code login and registration): only its HMAC is kept, with whom it is for. */
export interface SentCode {
  /** HMAC-SHA256 of the flow id and the code, keyed with the first code secret. */
  hmac: string;
  expiresAt: Date;
  /** The address it went to (lower-cased); the resend button carries it. */
  address: string;
  /** The identity it recovers, verifies or signs in; unset for an address nobody has (that code never works). */
  identityId?: string;
  /** Registration: the traits the code was sent for (a submit with other traits is refused, Kratos's 4000036). */
  traits?: Record<string, unknown>;
}

/**
 * Social sign-in under way on a login or registration flow: what its callback checks (the `state` sent, the provider)
 * and needs (the nonce, the PKCE verifier, traits a registration form added). Kept server-side, never rendered.
 */
export interface OidcFlowState {
  provider: string;
  /** The random part of the `state` parameter (`<flow id>.<state>`). */
  state: string;
  nonce: string;
  /** PKCE S256's verifier, when the provider uses PKCE. */
  codeVerifier?: string;
  /** Registration: traits the form sent with the provider (they win over the mapper's, as Kratos). */
  traits?: Record<string, unknown>;
  /** When the provider round trip was started (the callback refuses one older than the flow allows anyway). */
  startedAt: string;
  /** An API flow's social sign-in done in a browser: what the app's code exchange answers (lib/session/token-exchange.ts). */
  exchange?: { returnToCodeHash: string; sealedToken: string };
  /**
   * Login (Kratos's 1010016): a provider account whose identifier another account holds, to be linked to that account
   * once the user signs in to it here (with what it has).
   */
  link?: { subject: string; identifier: string };
}

/** What is stored of a flow; its ui is rendered from it (and the identity schema) on every answer. */
export interface FlowRecord {
  id: string;
  /** The submit's `transient_payload` (never stored): what web hooks' `ctx.flow` shows of it. */
  transientPayload?: Record<string, unknown>;
  type: FlowType;
  mode: FlowMode;
  state: FlowState;
  requestUrl: string;
  issuedAt: Date;
  expiresAt: Date;
  /** Login: `refresh=true` was requested. */
  refresh?: boolean;
  /** Login refreshing a session: the session's identifier, a hidden field the form carries (Kratos's refresh form). */
  refreshIdentifier?: string;
  /** Login and registration in two screens: the one the flow is on; unset: the one-screen form (`unified`). */
  screen?: FormScreen;
  /** On the second screen: what the first took. */
  firstScreen?: FirstScreenAnswer;
  /** Settings: the identity the flow belongs to. */
  identityId?: string;
  /** Registration (`identity_schema`) and settings (the identity's): the identity schema; unset = the default. */
  schemaId?: string;
  /** Flow-level messages a new flow starts with (a replacement for an expired flow says why). */
  messages?: UiText[];
  /** Browser flows: where to send the browser once done (checked against the allow list when the flow was made). */
  returnTo?: string;
  /** Browser flows: the anti-CSRF token masked at creation; reading the flow needs the cookie it came from. */
  csrfToken?: string;
  /**
   * Made for a browser by someone else (the admin's recovery code, Kratos's DangerousSkipCSRFCheck): the first browser
   * to open its link takes it. No other flow is ever handed to a browser that did not make it.
   */
  madeByAdmin?: boolean;
  /** Browser flows: what the last failed submit left to show. */
  ui?: SavedUi;
  /**
   * The method the flow is given over to (Kratos's `active`): recovery and verification's `code` from the flow's
   * creation on (the configured `use` method; Kratos's OpenAPI text says "initially not set", its code sets it, and
   * Ory Elements reads it); a registration continuing a social sign-in (`oidc`), whose form then shows that method's
   * nodes alone.
   */
  active?: string;
  /** The code method (recovery, verification, code login and registration): the code sent, while one is outstanding. */
  code?: SentCode;
  /** The code method: how many codes were submitted to this flow. */
  submissions?: number;
  /** The code method: how many codes this flow sent. */
  sends?: number;
  /**
   * Login and registration API flows made with `return_session_token_exchange_code=true`: the init code's hash (the app
   * exchanges it, with the code its `return_to` receives, for the session token).
   */
  exchangeCodeHash?: string;
  /** Login and registration: a social sign-in started from this flow, awaiting its callback. */
  oidc?: OidcFlowState;
  /**
   * What a method keeps on the flow between two of its steps (Kratos's `internal_context`), one entry per method: a TOTP
   * URL shown for setup, lookup codes awaiting confirmation, a WebAuthn challenge. Never shown to the client.
   */
  internal?: Record<string, unknown>;
  /** Login: the assurance level asked for (`?aal=aal2`: the second factor of a signed-in session); unset: aal1. */
  requestedAal?: 'aal2';
  /** What the flow says comes next (recovery: the settings flow; registration: verification). */
  continueWith?: Record<string, unknown>[];
}

export interface UiNodeAttributes {
  name: string;
  type: string;
  value?: unknown;
  required?: boolean;
  autocomplete?: string;
  pattern?: string;
  /** An `enum` trait's values: a UI renders a select. */
  options?: { value: unknown }[];
  maxlength?: number;
  disabled: boolean;
  /** A button's script call (Kratos's deprecated `onclick`, e.g. `window.oryPasskeyLogin()`), browser flows only. */
  onclick?: string;
  /** The global function of webauthn.js a button calls (`oryPasskeyLogin`...). */
  onclickTrigger?: string;
  onload?: string;
  onloadTrigger?: string;
  node_type: 'input';
}

/** A script node (`type: "script"`): webauthn.js, which the passkey and webauthn methods' buttons call. */
export interface UiScriptAttributes {
  src: string;
  async: boolean;
  referrerpolicy: string;
  crossorigin: string;
  integrity: string;
  type: string;
  id: string;
  nonce: string;
  node_type: 'script';
}

/** An anchor node (`type: "a"`): verification's "Continue" once done. */
export interface UiAnchorAttributes {
  id: string;
  href: string;
  title: UiText;
  node_type: 'a';
}

/**
 * Kratos's node groups: `default` (shared by every method: csrf_token, identifier, traits of a profile-first form),
 * and one per method (`password`, `profile`, `code`, later `oidc`, `totp`, `lookup_secret`, `webauthn`, `passkey`).
 */
export type NodeGroup = string;

/** An image node (`type: "img"`): the TOTP QR code, as a data URL. */
export interface UiImageAttributes {
  id: string;
  src: string;
  width: number;
  height: number;
  node_type: 'img';
}

/** A text node (`type: "text"`): the TOTP secret, lookup codes. */
export interface UiTextAttributes {
  id: string;
  text: UiText;
  node_type: 'text';
}

export interface UiNode {
  /** `input` and `a` carry UiNodeAttributes or UiAnchorAttributes; `img`, `text` and `script` theirs (cast where built). */
  type: 'input' | 'a' | 'img' | 'text' | 'script';
  group: NodeGroup;
  attributes: UiNodeAttributes;
  messages: UiText[];
  meta: { label?: UiText };
}

export interface UiContainer {
  action: string;
  method: 'POST' | 'GET';
  nodes: UiNode[];
  messages?: UiText[];
}

/** A flow as Kratos serialises it. */
export type FlowView = Record<string, unknown> & { id: string; ui: UiContainer };

export function isExpired(flow: FlowRecord, now: Date): boolean {
  return flow.expiresAt.getTime() <= now.getTime();
}
