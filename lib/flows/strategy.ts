/**
 * The seam between the flows and the sign-in methods (Kratos's `selfservice/strategy/<method>` behind the interfaces
 * of `selfservice/flow/<flow>`). A flow never names a method: it renders the nodes of every enabled strategy that
 * serves it, finds the one a submit names, lets it decide, and then does what every method's success has in common
 * (sessions, hooks, single use, answers). A strategy is one folder of lib/strategies, registered in one place
 * (lib/strategies/index.ts); adding a method adds a folder and a line there.
 */
import type { FlowValidationError } from '../errors/index.js';
import type { Identity } from '../identity/model.js';
import type { IdentitySchema } from '../identity/schema.js';
import type { Session } from '../session/model.js';
import type { UiText } from '../text/messages.js';
import type { Writes } from '../util/writes.js';
import type { FlowAnswer } from './answer.js';
import type { FlowRequest } from './request.js';
import type { FirstScreenAnswer, FlowRecord, FlowType, FormScreen, NodeGroup, SavedUi, UiNode } from './model.js';

/** What a strategy's nodes are rendered from. */
export interface NodeContext {
  /**
   * The flow; a login or registration flow in two screens says which one it is on (`flow.screen`: `identify` or
   * `profile`, then `credentials`, with `flow.firstScreen`); unset: the one-screen form. A method shows on each screen
   * what it offers there (the password method: nothing while the identifier is asked for, the password after).
   */
  flow: FlowRecord;
  /** The identity schema of the flow (registration's chosen one, settings' identity's, else the default). */
  schema: IdentitySchema;
  /** What a failed submit echoes back into node values (never a password). */
  values: Record<string, unknown>;
  /** Settings: the traits the form shows (the identity's, or what a failed submit sent). */
  traits?: unknown;
  /** Verification once done: where its "Continue" leads. */
  continueUrl?: string;
  /** Settings, for a strategy that `readsCredentials`: the identity with its credentials. */
  account?: Identity;
}

/** A submit of a flow, checked already (it exists, is unexpired, passed its CSRF check), handed to the method it names. */
export interface SubmitContext {
  flow: FlowRecord;
  body: Record<string, unknown>;
  request: FlowRequest;
  now: Date;
  /**
   * The flow again, failed: flow-level and per-node messages, and the values it echoes (by default what the flow
   * echoes for any method). Throw it.
   */
  fail(flowMessages?: UiText[], nodeMessages?: Record<string, UiText[]>, values?: Record<string, unknown>): FlowValidationError;
}

/**
 * A submit that moves a two-screen form to another of its screens instead of finishing the flow (the identifier
 * taken, the traits taken, or back to them). The flow stores it and shows the flow on that screen.
 */
export interface NextScreen {
  screen: FormScreen;
  /** What the second screen shows of the first; unset when going back to the first. */
  firstScreen?: FirstScreenAnswer;
  /** What the screen's fields show (going back: the traits as they were). */
  values?: Record<string, unknown>;
  messages?: UiText[];
}

/**
 * A submit that moved the flow on without finishing it (the code method: a code sent, the flow now awaits it). The
 * method stored the move already; the flow answers as Kratos answers such a step (a browser's form post: 303 to the
 * flow's UI; anything else: 400 with the flow).
 */
export interface FlowStep {
  /** The flow as it now stands (what `saveUi` kept on it included). */
  step: FlowRecord;
}

/** A login method (a first factor at aal1, or a second at aal2). */
export interface LoginStrategy {
  /** The assurance level a login with this method proves (Kratos: password aal1, totp aal2, ...). */
  readonly aal: 'aal1' | 'aal2';
  /**
   * A second factor (`aal: 'aal2'`): what a login asking for aal2 keeps of this method for the signed-in identity (its
   * credentials included), rendered and checked from the flow's `internal[<method>]` (a WebAuthn challenge and the
   * keys allowed); undefined when the identity has none of it (its nodes are not shown). Called when the flow is made,
   * with the login's `via` (Kratos's hint naming the trait a code goes to).
   */
  secondFactor?(identity: Identity, now: Date, hints?: { via?: string }): unknown;
  /**
   * A second factor that starts by itself when it is the only one the flow offers (Kratos's FastLogin2FA: a code sent
   * at once to the one code address): the flow as it then stands, stored by the method; undefined: nothing started.
   */
  beginSecondFactor?(ctx: { flow: FlowRecord; account: Identity; request: FlowRequest; now: Date }): Promise<FlowRecord | undefined>;
  nodes(ctx: NodeContext): UiNode[];
  /**
   * Reads the flow a submit names, and what the method needs read with it in the same round trip (the password
   * method: the identifier's credential). Without it the flow is read alone.
   */
  readFlow?(flowId: string, body: Record<string, unknown>, request: FlowRequest): Promise<{ flow?: FlowRecord; read?: unknown }>;
  /**
   * The identity a submit proves (with the revision it was read at), or `ctx.fail(...)` thrown; or, for a step of a
   * two-screen form that proves nothing yet, the screen it moves to; or a step of the method's own (a code sent). A
   * login asking for a second factor (`flow.requestedAal`) hands the method, as `account`, the signed-in identity with
   * its credentials: the proof is of it.
   */
  authenticate(ctx: SubmitContext & { read?: unknown; schema: IdentitySchema; account?: Identity }): Promise<LoginProof | { next: NextScreen } | FlowStep>;
}

export interface LoginProof {
  /** The identity as its session will carry it, at the revision read (the session's write checks it is still current). */
  identity: Identity;
  /** What the login's own transaction writes besides the session (a failed-attempt counter cleared). */
  writes?: Writes[];
  /**
   * The method's own write that completes the flow, in place of the flow's (the code method spends its code: of two
   * submissions of one code, one wins); it must fail with FlowAlreadyUsedError as the flow's would.
   */
  completes?: Writes;
  /**
   * The identity as this login changes it (a lookup code marked used, a TOTP time step spent, the address a code went
   * to verified), made from `identity` (a privileged read: `account`): stored at the next revision in the login's own
   * transaction, in place of the check that `identity` is unchanged; the session carries it.
   */
  update?: Identity;
  /** Social sign-in: the provider that vouched (on the session's method, and the events). */
  provider?: string;
  /**
   * The method made this identity (not stored yet): nobody had the account it proves, so the login becomes its
   * registration (Kratos's login-to-registration switch of social sign-in).
   */
  register?: boolean;
}

/** A registration method. */
export interface RegistrationStrategy {
  nodes(ctx: NodeContext): UiNode[];
  /**
   * The identity a submit creates (traits valid, credentials made; not stored yet), or `ctx.fail(...)` thrown; or,
   * for a step of a two-screen form, the screen it moves to; or a step of the method's own (a code sent).
   */
  register(ctx: SubmitContext & { schema: IdentitySchema }): Promise<RegistrationResult | { next: NextScreen } | FlowStep>;
  /**
   * Whether this method takes a submit that names no method of the flow's (Kratos's profile method takes
   * `screen=previous` alone, which Ory Elements' back button posts, and the legacy `method=profile:back`).
   */
  claims?(body: Record<string, unknown>): boolean;
}

export interface RegistrationResult {
  identity: Identity;
  /** Social sign-in: the provider that vouched. */
  provider?: string;
  /** The identity exists already (the provider account is linked to it): the registration becomes its login. */
  login?: boolean;
  /** The method's own write that completes the flow, in place of the flow's (the code method spends its code). */
  completes?: Writes;
}

/** A settings method: it changes the signed-in identity. */
export interface SettingsStrategy {
  /** Its nodes depend on the identity's credentials (which providers are linked): the flow reads them to render it. */
  readonly readsCredentials?: boolean;
  /**
   * What the method keeps on a settings flow for its form (`flow.internal[<method>]`: a TOTP secret offered for setup,
   * with its QR code), made for `identity` (credentials included) when the flow is first shown and again after each
   * change it saves; undefined: nothing to keep.
   */
  prepare?(identity: Identity, schema: IdentitySchema, now: Date): Promise<unknown>;
  nodes(ctx: NodeContext): UiNode[];
  /**
   * The identity as the submit changes it (not stored yet), and the values a failure to store it echoes; or
   * `ctx.fail(...)` / SessionRefreshRequiredError thrown; or, for a step that changes nothing yet (lookup codes
   * revealed or generated), what the method now keeps on the flow, shown again.
   */
  update(ctx: SettingsContext): Promise<SettingsChange | { show: { internal: unknown } }>;
}

export interface SettingsChange {
  identity: Identity;
  values?: Record<string, unknown>;
  /**
   * A factor the change proved (a TOTP code, confirmed lookup codes): added to the session's AMR, which is authenticated
   * anew (Kratos's settings after-hook; enabling a second factor makes the session aal2).
   */
  factor?: { method: string; aal: 'aal1' | 'aal2' };
}

export interface SettingsContext extends SubmitContext {
  session: Session;
  /** The identity as stored, credentials included (a privileged read). */
  identity: Identity;
  schema: IdentitySchema;
  /** Whether the session is recent enough to change credentials (`privileged_session_max_age`). */
  privileged: boolean;
}

/** A recovery or verification method: it proves an address (and so, for recovery, an identity). */
export interface AddressStrategy {
  nodes(ctx: NodeContext): UiNode[];
  /** One step: a code sent, a wrong code (an answer), or the challenge passed. */
  submit(ctx: AddressContext): Promise<AddressStep>;
}

export interface AddressContext extends SubmitContext {
  /** The flow as it now stands: its UI again for a browser form post, else the flow as JSON (with `status`). */
  show(flow: FlowRecord, saved: Partial<SavedUi>, status?: number): FlowAnswer;
  /** Keeps what the flow's UI is to show (a browser's flow), as a failed submit does. */
  saveUi(saved: SavedUi): Promise<void>;
  /** The UI URL of a flow of this kind. */
  uiUrlOf(flowId: string): string;
  /** A new flow of the same kind in place of this one (same mode and return_to), saying why. */
  replace(message: UiText): Promise<FlowRecord>;
}

export type AddressStep = { answer: FlowAnswer } | { passed: AddressProof };

/** An address proven, for the flow to act on. */
export interface AddressProof {
  /** The identity holding the address, as stored (credentials included). */
  identity: Identity;
  address: string;
  /** What spends the proof (it is single use), committed in the flow's own transaction. */
  writes: Writes[];
  /** The answer when those writes find the proof spent already (another submission of it won). */
  spent(): Promise<FlowAnswer>;
}

/** One sign-in method, as the flows see it: its name, its node group, and the flows it serves. */
export interface Strategy {
  /** Kratos's method name: what a submit's `method` names, and the session's AMR entry. */
  readonly id: string;
  readonly group: NodeGroup;
  readonly login?: LoginStrategy;
  readonly registration?: RegistrationStrategy;
  readonly settings?: SettingsStrategy;
  readonly recovery?: AddressStrategy;
  readonly verification?: AddressStrategy;
  /**
   * What a login on a flow this method marked changes, whichever method proved the identity (the oidc method: the
   * provider account the user signed in to link, Kratos's 1010016 login): the identity as it is to be stored, from its
   * stored form (credentials included); nothing to change: undefined; a mismatch: `fail(...)` thrown.
   */
  readonly onLogin?: (ctx: { flow: FlowRecord; identityId: string; now: Date; fail(flowMessages?: UiText[]): Error }) => Promise<{ next: Identity; stored: Identity } | undefined>;
  /**
   * Whether a submit that names no `method` is this strategy's (Kratos's oidc strategy takes any submit with a
   * `provider`: the provider buttons of Ory's UIs send no method).
   */
  readonly takesUnnamedSubmit?: (body: Record<string, unknown>) => boolean;
  /**
   * What the method keeps on a new flow of a type it serves (its entry of `flow.internal`), written with the flow: the
   * passkey and webauthn methods' challenge, which binds their ceremonies to the flow. An entry the flow is made with
   * (a second factor's, `LoginStrategy.secondFactor`) stands; none: undefined. (Settings flows: `prepare`.)
   */
  readonly flowState?: (flow: Pick<FlowRecord, 'type' | 'mode' | 'identityId' | 'requestedAal'>) => unknown;
}

/** The strategies of a deployment, in the order their nodes appear, each enabled one once. */
export type Strategies = readonly Strategy[];

/** The enabled strategies that serve `type`, in order. */
export function strategiesFor<T extends FlowType>(strategies: Strategies, type: T): (Strategy & Required<Pick<Strategy, T>>)[] {
  return strategies.filter((s): s is Strategy & Required<Pick<Strategy, T>> => s[type] !== undefined);
}

/**
 * The enabled strategy serving `type` that a submit's `method` names (or, naming none, the one that takes such a
 * submit); undefined for an unknown or disabled method.
 */
export function strategyNamed<T extends FlowType>(strategies: Strategies, type: T, body: Record<string, unknown>) {
  const { method } = body;
  if (typeof method === 'string' && method !== '') return strategiesFor(strategies, type).find((s) => s.id === method);
  return method === undefined || method === '' ? strategiesFor(strategies, type).find((s) => s.takesUnnamedSubmit?.(body)) : undefined;
}
