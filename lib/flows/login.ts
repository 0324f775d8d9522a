/**
 * The API login flow for the password method. Storage round trips on submit, whatever the identifier: one
 * batched read (the flow, and the identifier's claim with its login copy and password hash), one bcrypt compare
 * (against a dummy hash for an unknown identifier), and on success one transaction (session + flow completion).
 */
import { FlowAlreadyUsedError, FlowValidationError, IdentityDisabledError, SessionAlreadyAvailableError } from '../errors/index.js';
import type { PasswordHasher } from '../hashing/bcrypt.js';
import { normalizeIdentifier } from '../identity/schema.js';
import { sessionView } from '../session/model.js';
import type { SessionService } from '../session/service.js';
import { messages, type UiText } from '../text/messages.js';
import { events } from '../tracing/events.js';
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
import type { FlowRecord, FlowView } from './model.js';

export interface LoginDeps extends FlowDeps {
  sessionService: SessionService;
  hasher: PasswordHasher;
  lifespanMs: number;
}

export function createLoginFlows(deps: LoginDeps) {
  const invalid = (flow: FlowRecord, values: Record<string, unknown>, flowMessage?: UiText, nodeMessages?: Record<string, UiText[]>) =>
    new FlowValidationError(render(deps, flow, { values, messages: flowMessage ? [flowMessage] : [], nodeMessages }));

  return {
    async init(request: FlowRequest, refresh: boolean, now: Date): Promise<FlowView> {
      if (!refresh && (await hasActiveSession(deps.sessionService, request, now))) throw new SessionAlreadyAvailableError('login');
      const flow = await createFlow(deps, 'login', deps.lifespanMs, request, now, { refresh });
      events.loginInitiated(flow.id, 'api', refresh);
      return render(deps, flow);
    },

    get: (id: string | undefined, now: Date) => getFlowView(deps, 'login', id, now),

    async submit(rawFlowId: string | undefined, body: Record<string, unknown>, request: FlowRequest, now: Date) {
      const attempt: { flow?: FlowRecord; identityId?: string } = {};
      try {
        return await submit(rawFlowId, body, request, now, attempt);
      } catch (error) {
        events.loginFailed({
          flowId: attempt.flow?.id,
          flowType: attempt.flow ? 'api' : '',
          refresh: attempt.flow?.refresh ?? false,
          reason: failureReason(error),
          identityId: attempt.identityId,
        });
        throw error;
      }
    },
  };

  async function submit(
    rawFlowId: string | undefined,
    body: Record<string, unknown>,
    request: FlowRequest,
    now: Date,
    attempt: { flow?: FlowRecord; identityId?: string },
  ) {
    const flowId = parseFlowId(rawFlowId);
    const identifier = stringField(body, 'identifier');
    const password = stringField(body, 'password');
    const values = { identifier: identifier ?? '' };
    const normalized = identifier ? normalizeIdentifier(identifier) : '';

    const found = normalized
      ? await deps.flows.getForPasswordLogin(flowId, normalized)
      : { flow: await deps.flows.get(flowId), credential: undefined };
    const flow = await checkSubmittable(deps, found.flow, 'login', deps.lifespanMs, request, now, values);
    attempt.flow = flow;

    if (!flow.refresh && (await hasActiveSession(deps.sessionService, request, now))) {
      throw invalid(flow, values, messages.generic(new SessionAlreadyAvailableError('login').reason!));
    }
    if (body.method !== 'password') {
      throw invalid(flow, values, {
        id: 4010002,
        text: 'Could not find a strategy to log you in with. Did you fill out the form correctly?',
        type: 'error',
      });
    }
    const missing: Record<string, UiText[]> = {};
    if (!normalized) missing.identifier = [messages.required('identifier')];
    if (!password) missing.password = [messages.required('password')];
    if (Object.keys(missing).length > 0) throw invalid(flow, values, undefined, missing);

    // Unknown identifiers cost one compare at the configured cost and answer exactly like a wrong password.
    const credential = found.credential;
    const hash = credential?.hashedPassword;
    const matches = hash ? await deps.hasher.compare(password!, hash) : await deps.hasher.compareWithDummy(password!);
    if (!credential || !matches) throw invalid(flow, values, messages.invalidCredentials());
    attempt.identityId = credential.identity.id;
    if (credential.identity.state !== 'active') throw new IdentityDisabledError();

    const issued = deps.sessionService.issue(credential.identity, request, now);
    try {
      await deps.flows.completeLogin(issued, { flowId: flow.id, now });
    } catch (error) {
      if (error instanceof FlowAlreadyUsedError) throw invalid(flow, values, messages.flowAlreadyCompleted('login'));
      throw error;
    }
    events.sessionIssued(issued.session.identityId, issued.session.id);
    events.loginSucceeded({
      flowId: flow.id,
      flowType: 'api',
      identityId: issued.session.identityId,
      sessionId: issued.session.id,
      refresh: flow.refresh ?? false,
      requestedAal: 'aal1',
    });
    return {
      session_token: issued.token,
      session: sessionView(issued.session, now, deps.publicBaseUrl),
      continue_with: [{ action: 'set_ory_session_token', ory_session_token: issued.token }],
    };
  }
}
export type LoginFlows = ReturnType<typeof createLoginFlows>;
