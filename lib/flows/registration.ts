/**
 * The API registration flow for the password method (one step, Kratos's `session` after-hook on).
 * Storage round trips on submit: one read of the flow, one transaction writing identity, identifier
 * claims and session and completing the flow.
 */
import { randomUUID } from 'node:crypto';
import {
  DuplicateIdentifierError,
  FlowAlreadyUsedError,
  FlowValidationError,
  SessionAlreadyAvailableError,
} from '../errors/index.js';
import type { PasswordHasher } from '../hashing/bcrypt.js';
import { publicIdentity, type Identity } from '../identity/model.js';
import type { PasswordPolicy } from '../identity/password-policy.js';
import { sessionView } from '../session/model.js';
import type { SessionService } from '../session/service.js';
import {
  checkSubmittable,
  createFlow,
  failureReason,
  getFlowView,
  hasActiveSession,
  parseFlowId,
  render,
  stringField,
  type FlowDeps,
  type FlowRequest,
} from './common.js';
import { messages, type UiText } from '../text/messages.js';
import { events } from '../tracing/events.js';
import type { FlowRecord, FlowView } from './model.js';

export interface RegistrationDeps extends FlowDeps {
  sessionService: SessionService;
  hasher: PasswordHasher;
  passwordPolicy: PasswordPolicy;
  lifespanMs: number;
}

export function createRegistrationFlows(deps: RegistrationDeps) {
  const invalid = (flow: FlowRecord, values: Record<string, unknown>, flowMessages: UiText[], nodeMessages?: Record<string, UiText[]>) =>
    new FlowValidationError(render(deps, flow, { values, messages: flowMessages, nodeMessages }));

  return {
    async init(request: FlowRequest, now: Date): Promise<FlowView> {
      if (await hasActiveSession(deps.sessionService, request, now)) throw new SessionAlreadyAvailableError('registration');
      const flow = await createFlow(deps, 'registration', deps.lifespanMs, request, now);
      events.registrationInitiated(flow.id, 'api');
      return render(deps, flow);
    },

    get: (id: string | undefined, now: Date) => getFlowView(deps, 'registration', id, now),

    async submit(rawFlowId: string | undefined, body: Record<string, unknown>, request: FlowRequest, now: Date) {
      const attempt: { flow?: FlowRecord } = {};
      try {
        return await submit(rawFlowId, body, request, now, attempt);
      } catch (error) {
        events.registrationFailed(attempt.flow?.id, attempt.flow ? 'api' : '', failureReason(error));
        throw error;
      }
    },
  };

  async function submit(
    rawFlowId: string | undefined,
    body: Record<string, unknown>,
    request: FlowRequest,
    now: Date,
    attempt: { flow?: FlowRecord },
  ) {
    const flowId = parseFlowId(rawFlowId);
    const traits = body.traits === undefined || body.traits === null ? {} : body.traits;
    const values = { traits };
    const flow = await checkSubmittable(deps, await deps.flows.get(flowId), 'registration', deps.lifespanMs, request, now, values);
    attempt.flow = flow;

    if (await hasActiveSession(deps.sessionService, request, now)) throw new SessionAlreadyAvailableError('registration');
    if (body.method !== 'password') {
      throw invalid(flow, values, [
        { id: 4010003, text: 'Could not find a strategy to sign you up with. Did you fill out the form correctly?', type: 'error' },
      ]);
    }

    const password = stringField(body, 'password');
    const nodeMessages: Record<string, UiText[]> = {};
    const flowMessages: UiText[] = [];
    if (!password) nodeMessages.password = [messages.required('password')];
    for (const violation of deps.schema.validate(traits)) {
      if (violation.node) (nodeMessages[violation.node] ??= []).push(violation.message);
      else flowMessages.push(violation.message);
    }
    if (flowMessages.length > 0 || Object.keys(nodeMessages).length > 0) throw invalid(flow, values, flowMessages, nodeMessages);

    const validTraits = traits as Record<string, unknown>;
    const identifiers = deps.schema.passwordIdentifiers(validTraits);
    const violation = await deps.passwordPolicy(password!, identifiers);
    if (violation) throw invalid(flow, values, [], { password: [violation] });

    const hashedPassword = await deps.hasher.hash(password!);
    const identity: Identity = {
      id: randomUUID(),
      schemaId: deps.schema.id,
      state: 'active',
      traits: validTraits,
      metadataPublic: null,
      metadataAdmin: null,
      createdAt: now,
      updatedAt: now,
      identifiers,
      revision: 1,
      password: { identifiers, hashedPassword, createdAt: now, updatedAt: now },
    };
    const issued = deps.sessionService.issue(identity, request, now);
    try {
      await deps.flows.completeRegistration(identity, issued, { flowId: flow.id, now });
    } catch (error) {
      if (error instanceof DuplicateIdentifierError) throw invalid(flow, values, [messages.duplicateCredentials()]);
      if (error instanceof FlowAlreadyUsedError) throw invalid(flow, values, [messages.flowAlreadyCompleted('registration')]);
      throw error;
    }
    // What Kratos's persister and hooks emit, in their order: the identity, the registration, the session it issues
    // and the login that session stands for.
    events.identityCreated(identity.id);
    events.registrationSucceeded(flow.id, 'api', identity.id);
    events.sessionIssued(identity.id, issued.session.id);
    events.loginSucceeded({ flowId: flow.id, flowType: 'api', identityId: identity.id, sessionId: issued.session.id, refresh: false, requestedAal: '' });
    return {
      session_token: issued.token,
      session: sessionView(issued.session, now, deps.publicBaseUrl),
      identity: publicIdentity(identity, deps.publicBaseUrl),
      continue_with: [{ action: 'set_ory_session_token', ory_session_token: issued.token }],
    };
  }
}
export type RegistrationFlows = ReturnType<typeof createRegistrationFlows>;
