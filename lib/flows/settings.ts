/**
 * The settings flow for the password method: a signed-in user changes their password, from a native app (`api`) or a
 * browser (`browser`: cookies, CSRF, redirects). Requires an active session, and a recent one (privileged session
 * max age) for the change itself.
 */
import {
  ConcurrentUpdateError,
  DuplicateIdentifierError,
  FlowGoneError,
  IdentityMismatchError,
  KratosError,
  NotFoundError,
  SessionInactiveError,
  SessionRefreshRequiredError,
} from '../errors/index.js';
import type { PasswordHasher } from '../hashing/bcrypt.js';
import { addressesFor } from '../identity/addresses.js';
import type { CodeFlows } from './code-flows.js';
import { publicIdentity, type Identity } from '../identity/model.js';
import type { PasswordPolicy } from '../identity/password-policy.js';
import type { IdentityRepository } from '../identity/repository.js';
import type { Session } from '../session/model.js';
import type { SessionRepository } from '../session/repository.js';
import type { SessionService } from '../session/service.js';
import { jsonAnswer, redirectAnswer, withQuery, type FlowAnswer } from './answer.js';
import { afterSuccessUrl, browserFailure, flowUiUrl, forwardToErrorUi } from './browser.js';
import {
  checkBrowserFlowCookie,
  checkSubmittable,
  createFlow,
  csrfFor,
  failedWith,
  failureReason,
  initUrl,
  invalid,
  parseFlowId,
  readFlowId,
  render,
  savedUiOf,
  schemaOf,
  stringField,
  type FlowDeps,
  type FlowRequest,
} from './common.js';
import { messages, type UiText } from '../text/messages.js';
import { events } from '../tracing/events.js';
import { isExpired, type FlowRecord, type FlowView } from './model.js';
import { checkReturnTo } from './return-to.js';

export interface SettingsDeps extends FlowDeps {
  identities: IdentityRepository;
  sessions: SessionRepository;
  sessionService: SessionService;
  hasher: PasswordHasher;
  passwordPolicy: PasswordPolicy;
  lifespanMs: number;
  privilegedMaxAgeMs: number;
  /** With verification on: a profile change that adds a verifiable address sends it a code (Kratos's verifier hook). */
  verification?: Pick<CodeFlows, 'forAddress'>;
}

export function createSettingsFlows(deps: SettingsDeps) {
  async function sessionOf(request: FlowRequest, now: Date): Promise<Session> {
    const session = await deps.sessionService.findActive(request.sessionToken, now);
    if (!session) throw new SessionInactiveError();
    return session;
  }

  const identityView = (identity: Identity) => ({ identity: publicIdentity(identity, deps.publicBaseUrl) });

  async function ownFlow(id: string, session: Session) {
    const flow = await deps.flows.get(id);
    if (!flow || flow.type !== 'settings') throw new NotFoundError();
    if (flow.identityId !== session.identityId) throw new IdentityMismatchError();
    return flow;
  }

  /** The login that refreshes a too old session and comes back to this flow's UI. */
  const refreshLogin = (flow: FlowRecord) =>
    withQuery(initUrl(deps, 'login', 'browser'), { refresh: 'true', return_to: flowUiUrl(deps, 'settings', flow.id) });

  return {
    /** `GET /self-service/settings/api`. */
    async init(request: FlowRequest, now: Date): Promise<FlowView> {
      const session = await sessionOf(request, now);
      const flow = await createFlow(deps, 'settings', 'api', deps.lifespanMs, request, now, {
        identityId: session.identityId,
        schemaId: session.identity.schemaId,
        state: 'show_form',
      });
      return render(deps, flow, undefined, identityView(session.identity));
    },

    /** `GET /self-service/settings/browser`: 303 to the settings UI with a flow; without a session, to the login UI. */
    async initBrowser(request: FlowRequest, rawReturnTo: string | undefined, now: Date): Promise<FlowAnswer> {
      try {
        const returnTo = checkReturnTo(rawReturnTo, deps.browser.allowedReturnUrls, deps.browser.defaultReturnUrl);
        const session = await deps.sessionService.findActive(request.sessionToken, now);
        if (!session) {
          if (request.browser.json) throw new SessionInactiveError();
          return redirectAnswer(deps.browser.uiUrls.login);
        }
        const csrf = csrfFor(request);
        const flow = await createFlow(deps, 'settings', 'browser', deps.lifespanMs, request, now, {
          identityId: session.identityId,
          schemaId: session.identity.schemaId,
          state: 'show_form',
          returnTo,
          csrf: csrf.token,
        });
        const setCookie = csrf.isNew ? { csrfToken: csrf.token } : {};
        return request.browser.json
          ? jsonAnswer(render(deps, flow, csrf.token, identityView(session.identity)), 200, setCookie)
          : redirectAnswer(flowUiUrl(deps, 'settings', flow.id), setCookie);
      } catch (error) {
        if (error instanceof KratosError && !request.browser.json) return forwardToErrorUi(deps, error, now);
        throw error;
      }
    },

    /** `GET /self-service/settings/flows?id=`: the session's own flow (a browser flow with its CSRF cookie). */
    async get(rawId: string | undefined, request: FlowRequest, now: Date): Promise<FlowView> {
      const session = await sessionOf(request, now);
      const flow = await ownFlow(readFlowId(rawId), session);
      if (isExpired(flow, now)) throw new FlowGoneError('settings', initUrl(deps, 'settings', flow.mode));
      checkBrowserFlowCookie(flow, request);
      return render(deps, flow, request.browser.csrfCookie, { ...savedUiOf(flow), ...identityView(session.identity) });
    },

    /** `POST /self-service/settings?flow=`. */
    async submit(rawId: string | undefined, body: Record<string, unknown>, request: FlowRequest, now: Date): Promise<FlowAnswer> {
      const attempt: { flow?: FlowRecord; identityId?: string } = {};
      try {
        return await submit(rawId, body, request, now, attempt);
      } catch (error) {
        // Only a method this flow knows is named; anything else a client sent stays off the span.
        const method = body.method === 'password' || body.method === 'profile' ? body.method : '';
        events.settingsFailed({ flowId: attempt.flow?.id, flowType: attempt.flow?.mode ?? '', method, reason: failureReason(error), identityId: attempt.identityId });
        const apiFlow = attempt.flow?.mode === 'api';
        // Kratos sends a browser without a session to log in, and one with too old a session to log in again.
        if (error instanceof SessionInactiveError && !request.browser.json && !apiFlow) return redirectAnswer(initUrl(deps, 'login', 'browser'));
        if (error instanceof SessionRefreshRequiredError && attempt.flow?.mode === 'browser') {
          const to = refreshLogin(attempt.flow);
          if (request.browser.json) throw new SessionRefreshRequiredError(to);
          return redirectAnswer(to);
        }
        const answer = await browserFailure(deps, 'settings', attempt.flow, error, request, now);
        if (answer) return answer;
        throw error;
      }
    },
  };

  async function submit(
    rawId: string | undefined,
    body: Record<string, unknown>,
    request: FlowRequest,
    now: Date,
    attempt: { flow?: FlowRecord; identityId?: string },
  ): Promise<FlowAnswer> {
    const flowId = parseFlowId(rawId);
    const session = await sessionOf(request, now);
    attempt.identityId = session.identityId;
    const own = await ownFlow(flowId, session);
    attempt.flow = own;
    const flow = await checkSubmittable(deps, own, 'settings', deps.lifespanMs, request, now, {}, body);
    const fail = (flowMessages: UiText[], nodeMessages?: Record<string, UiText[]>, values: Record<string, unknown> = {}) =>
      invalid(deps, flow, request, failedWith(values, flowMessages, nodeMessages), identityView(session.identity));
    const privileged = () => now.getTime() - session.authenticatedAt.getTime() <= deps.privilegedMaxAgeMs;

    const identity = await deps.identities.getWithCredentials(session.identityId);
    if (!identity) throw new SessionInactiveError();
    let stored: Identity;
    let method: 'password' | 'profile';
    if (body.method === 'profile') {
      method = 'profile';
      // Kratos's profile method: the traits, validated against the identity's schema; changing an identifier (a
      // credential) needs a recent login, and moves its uniqueness claim in the same transaction.
      const traits = body.traits === undefined || body.traits === null ? {} : body.traits;
      const values = { traits };
      const schema = schemaOf(deps, flow);
      const nodeMessages: Record<string, UiText[]> = {};
      const flowMessages: UiText[] = [];
      for (const violation of schema.validate(traits)) {
        if (violation.node) (nodeMessages[violation.node] ??= []).push(violation.message);
        else flowMessages.push(violation.message);
      }
      if (flowMessages.length > 0 || Object.keys(nodeMessages).length > 0) throw fail(flowMessages, nodeMessages, values);
      const validTraits = traits as Record<string, unknown>;
      const identifiers = schema.passwordIdentifiers(validTraits);
      const before = identity.identifiers ?? [];
      const identifiersChanged = identifiers.length !== before.length || identifiers.some((id) => !before.includes(id));
      const addresses = addressesFor(schema, validTraits, now, identity);
      // Kratos (identity manager's requiresPrivilegedAccess): a changed recovery or verifiable address is as
      // sensitive as a changed identifier: whoever controls it can recover the account.
      const sameValues = (a: { value: string }[] | undefined, b: { value: string }[]) => (a ?? []).length === b.length && b.every((x) => (a ?? []).some((y) => y.value === x.value));
      const addressesChanged = !sameValues(identity.recoveryAddresses, addresses.recoveryAddresses) || !sameValues(identity.verifiableAddresses, addresses.verifiableAddresses);
      if ((identifiersChanged || addressesChanged) && !privileged()) throw new SessionRefreshRequiredError();
      const changed: Identity = {
        ...identity,
        traits: validTraits,
        identifiers,
        ...addresses,
        updatedAt: now,
        password: identity.password ? { ...identity.password, identifiers } : undefined,
      };
      // An address this change adds is sent a code, its flow and mail written with the change (only a new one: an
      // unchanged unverified address is not mailed again on every save).
      const added = addresses.verifiableAddresses.find((a) => !identity.verifiableAddresses?.some((b) => b.value === a.value));
      const verification = deps.verification?.forAddress(changed, added?.value, flow.mode, request, undefined, now);
      try {
        stored = verification
          ? await deps.flows.updateIdentityWith(verification.identity, identity, { flows: [verification.flow], messages: [verification.message] })
          : await deps.identities.update(changed, identity);
      } catch (error) {
        if (error instanceof DuplicateIdentifierError) throw fail([messages.duplicateCredentials()], {}, values);
        if (error instanceof ConcurrentUpdateError) throw fail([messages.generic(error.reason!)], {}, values);
        throw error;
      }
    } else if (body.method === 'password') {
      method = 'password';
      if (!privileged()) throw new SessionRefreshRequiredError();
      const password = stringField(body, 'password');
      if (!password) throw fail([], { password: [messages.required('password')] });
      const violation = await deps.passwordPolicy(password, identity.identifiers ?? []);
      if (violation) throw fail([], { password: [violation] });
      const current = identity.password?.hashedPassword;
      if (current && (await deps.hasher.compare(password, current))) throw fail([], { password: [messages.passwordSameAsOld()] });
      const hashedPassword = await deps.hasher.hash(password);
      const identifiers = identity.identifiers ?? [];
      stored = await deps.identities.update(
        { ...identity, updatedAt: now, password: { identifiers, hashedPassword, createdAt: identity.password?.createdAt ?? now, updatedAt: now } },
        identity,
      );
    } else {
      throw fail([{ id: 4010004, text: 'Could not find a strategy to update your settings. Did you fill out the form correctly?', type: 'error' }]);
    }
    await deps.sessions.refreshIdentity(stored);
    const saved = failedWith({}, [messages.settingsSaved()]);
    await deps.flows.markSucceeded(flow.id, saved);
    events.identityUpdated(stored.id);
    events.settingsSucceeded(flow.id, flow.mode, stored.id, method);
    const succeeded = { ...flow, state: 'success' as const, messages: [], ui: undefined };
    const view = render(deps, succeeded, request.browser.csrfCookie, { ...saved, ...identityView(stored) });
    if (flow.mode === 'browser' && !request.browser.json) return redirectAnswer(afterSuccessUrl(deps, flow, 'settings', flowUiUrl(deps, 'settings', flow.id)));
    return jsonAnswer(view);
  }
}
export type SettingsFlows = ReturnType<typeof createSettingsFlows>;
