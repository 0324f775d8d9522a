/**
 * The registration flow for the password method (one step, Kratos's `session` after-hook on), for native apps and
 * browsers. Storage round trips on submit: one read of the flow, one transaction writing identity, identifier claims
 * and session and completing the flow.
 */
import { randomUUID } from 'node:crypto';
import { BadRequestError, DuplicateIdentifierError, FlowAlreadyUsedError, KratosError, SessionAlreadyAvailableError } from '../errors/index.js';
import type { PasswordHasher } from '../hashing/bcrypt.js';
import { addressesFor } from '../identity/addresses.js';
import { publicIdentity, type Identity } from '../identity/model.js';
import type { PasswordPolicy } from '../identity/password-policy.js';
import { sessionView } from '../session/model.js';
import type { SessionService } from '../session/service.js';
import type { CodeFlows } from './code-flows.js';
import { jsonAnswer, redirectAnswer, type FlowAnswer } from './answer.js';
import { afterSuccessUrl, browserFailure, flowUiUrl, forwardToErrorUi } from './browser.js';
import {
  checkSubmittable,
  createFlow,
  csrfFor,
  failedWith,
  failureReason,
  getFlowView,
  hasActiveSession,
  invalid,
  parseFlowId,
  render,
  schemaOf,
  stringField,
  type FlowDeps,
  type FlowRequest,
} from './common.js';
import { messages, type UiText } from '../text/messages.js';
import { events } from '../tracing/events.js';
import type { FlowRecord, FlowView } from './model.js';
import { checkReturnTo } from './return-to.js';

export interface RegistrationDeps extends FlowDeps {
  sessionService: SessionService;
  hasher: PasswordHasher;
  passwordPolicy: PasswordPolicy;
  lifespanMs: number;
  /** With verification on: the verification flow a new identity starts with (its code sent in the same write). */
  verification?: Pick<CodeFlows, 'forAddress'>;
}

export function createRegistrationFlows(deps: RegistrationDeps) {
  return {
    /** `GET /self-service/registration/api[?identity_schema=]`. */
    async init(request: FlowRequest, now: Date, identitySchema?: string): Promise<FlowView> {
      const schemaId = selectableSchema(identitySchema);
      if (await hasActiveSession(deps.sessionService, request, now)) throw new SessionAlreadyAvailableError('registration');
      const flow = await createFlow(deps, 'registration', 'api', deps.lifespanMs, request, now, schemaId ? { schemaId } : {});
      events.registrationInitiated(flow.id, 'api');
      return render(deps, flow);
    },

    /** `GET /self-service/registration/browser`: 303 to the registration UI with the flow, or the flow for a JSON request. */
    async initBrowser(request: FlowRequest, rawReturnTo: string | undefined, now: Date, identitySchema?: string): Promise<FlowAnswer> {
      try {
        const schemaId = selectableSchema(identitySchema);
        const returnTo = checkReturnTo(rawReturnTo, deps.browser.allowedReturnUrls, deps.browser.defaultReturnUrl);
        if (await hasActiveSession(deps.sessionService, request, now)) {
          if (request.browser.json) throw new SessionAlreadyAvailableError('registration');
          return redirectAnswer(returnTo ?? deps.browser.defaultReturnUrl);
        }
        const csrf = csrfFor(request);
        const flow = await createFlow(deps, 'registration', 'browser', deps.lifespanMs, request, now, { returnTo, csrf: csrf.token, ...(schemaId ? { schemaId } : {}) });
        events.registrationInitiated(flow.id, 'browser');
        const setCookie = csrf.isNew ? { csrfToken: csrf.token } : {};
        return request.browser.json
          ? jsonAnswer(render(deps, flow, csrf.token), 200, setCookie)
          : redirectAnswer(flowUiUrl(deps, 'registration', flow.id), setCookie);
      } catch (error) {
        if (error instanceof KratosError && !request.browser.json) return forwardToErrorUi(deps, error, now);
        throw error;
      }
    },

    get: (id: string | undefined, request: FlowRequest, now: Date) => getFlowView(deps, 'registration', id, request, now),

    /** `POST /self-service/registration?flow=`. */
    async submit(rawFlowId: string | undefined, body: Record<string, unknown>, request: FlowRequest, now: Date): Promise<FlowAnswer> {
      const attempt: { flow?: FlowRecord } = {};
      try {
        return await submit(rawFlowId, body, request, now, attempt);
      } catch (error) {
        events.registrationFailed(attempt.flow?.id, attempt.flow?.mode ?? '', failureReason(error));
        const answer = await browserFailure(deps, 'registration', attempt.flow, error, request, now);
        if (answer) return answer;
        throw error;
      }
    },
  };

  /** `?identity_schema=`: the default, or a schema marked `selfservice_selectable` (Kratos's rule); 400 otherwise. */
  function selectableSchema(requested: string | undefined): string | undefined {
    if (!requested || requested === deps.schemas.defaultId) return undefined;
    const schema = deps.schemas.get(requested);
    if (!schema) throw new BadRequestError(`Requested identity schema ${JSON.stringify(requested)} does not exist.`);
    if (!schema.selectable) throw new BadRequestError(`Requested identity schema ${JSON.stringify(requested)} is not enabled for self-service flows.`);
    return schema.id;
  }

  async function submit(
    rawFlowId: string | undefined,
    body: Record<string, unknown>,
    request: FlowRequest,
    now: Date,
    attempt: { flow?: FlowRecord },
  ): Promise<FlowAnswer> {
    const flowId = parseFlowId(rawFlowId);
    const traits = body.traits === undefined || body.traits === null ? {} : body.traits;
    const values = { traits };
    const loaded = await deps.flows.get(flowId);
    if (loaded?.type === 'registration') attempt.flow = loaded;
    const flow = await checkSubmittable(deps, loaded, 'registration', deps.lifespanMs, request, now, values, body);
    const fail = (flowMessages: UiText[], nodeMessages?: Record<string, UiText[]>) => invalid(deps, flow, request, failedWith(values, flowMessages, nodeMessages));

    if (await hasActiveSession(deps.sessionService, request, now)) {
      if (flow.mode === 'browser' && !request.browser.json) return redirectAnswer(afterSuccessUrl(deps, flow, 'registration'));
      throw new SessionAlreadyAvailableError('registration');
    }
    if (body.method !== 'password') {
      throw fail([{ id: 4010003, text: 'Could not find a strategy to sign you up with. Did you fill out the form correctly?', type: 'error' }]);
    }

    const password = stringField(body, 'password');
    const nodeMessages: Record<string, UiText[]> = {};
    const flowMessages: UiText[] = [];
    if (!password) nodeMessages.password = [messages.required('password')];
    const schema = schemaOf(deps, flow);
    for (const violation of schema.validate(traits)) {
      if (violation.node) (nodeMessages[violation.node] ??= []).push(violation.message);
      else flowMessages.push(violation.message);
    }
    if (flowMessages.length > 0 || Object.keys(nodeMessages).length > 0) throw fail(flowMessages, nodeMessages);

    const validTraits = traits as Record<string, unknown>;
    const identifiers = schema.passwordIdentifiers(validTraits);
    const violation = await deps.passwordPolicy(password!, identifiers);
    if (violation) throw fail([], { password: [violation] });

    const hashedPassword = await deps.hasher.hash(password!);
    const identity: Identity = {
      id: randomUUID(),
      schemaId: schema.id,
      state: 'active',
      traits: validTraits,
      metadataPublic: null,
      metadataAdmin: null,
      createdAt: now,
      updatedAt: now,
      identifiers,
      ...addressesFor(schema, validTraits, now),
      revision: 1,
      password: { identifiers, hashedPassword, createdAt: now, updatedAt: now },
    };
    // With verification on this is Kratos's quickstart (hooks `session` and `show_verification_ui`): the verification
    // flow leads on to where registration would have; a browser form post is sent to it first.
    const verification = deps.verification?.forAddress(
      identity,
      identity.verifiableAddresses?.[0]?.value,
      flow.mode,
      request,
      flow.mode === 'browser' ? afterSuccessUrl(deps, flow, 'registration') : flow.returnTo,
      now,
    );
    const stored = verification?.identity ?? identity;
    const issued = deps.sessionService.issue(stored, request, now);
    try {
      await deps.flows.completeRegistration(
        stored,
        issued,
        { flowId: flow.id, now },
        verification ? { flows: [verification.flow], messages: [verification.message] } : {},
      );
    } catch (error) {
      if (error instanceof DuplicateIdentifierError) throw fail([messages.duplicateCredentials()]);
      if (error instanceof FlowAlreadyUsedError) throw fail([messages.flowAlreadyCompleted('registration')]);
      throw error;
    }
    // What Kratos's persister and hooks emit, in their order: the identity, the registration, the session it issues
    // and the login that session stands for.
    events.identityCreated(identity.id);
    events.registrationSucceeded(flow.id, flow.mode, identity.id);
    events.sessionIssued(identity.id, issued.session.id);
    events.loginSucceeded({ flowId: flow.id, flowType: flow.mode, identityId: identity.id, sessionId: issued.session.id, refresh: false, requestedAal: '' });
    const session = sessionView(issued.session, now, deps.publicBaseUrl);
    const publicView = publicIdentity(stored, deps.publicBaseUrl);
    if (flow.mode === 'api') {
      return jsonAnswer({
        session_token: issued.token,
        session,
        identity: publicView,
        continue_with: [{ action: 'set_ory_session_token', ory_session_token: issued.token }, ...(verification ? [verification.continueWith] : [])],
      });
    }
    const cookies = { session: { token: issued.token, expiresAt: issued.session.expiresAt } };
    const next = afterSuccessUrl(deps, flow, 'registration');
    return request.browser.json
      ? jsonAnswer(
          { session, identity: publicView, continue_with: [...(verification ? [verification.continueWith] : []), { action: 'redirect_browser_to', redirect_browser_to: next }] },
          200,
          cookies,
        )
      : redirectAnswer((verification?.continueWith.flow as { url?: string } | undefined)?.url ?? next, cookies);
  }
}
export type RegistrationFlows = ReturnType<typeof createRegistrationFlows>;
