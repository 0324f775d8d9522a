/**
 * The API settings flow for the password method: a signed-in user changes their password. Requires an active
 * session, and a recent one (privileged session max age) for the change itself.
 */
import {
  FlowGoneError,
  FlowValidationError,
  IdentityMismatchError,
  NotFoundError,
  SessionInactiveError,
  SessionRefreshRequiredError,
} from '../errors/index.js';
import type { PasswordHasher } from '../hashing/bcrypt.js';
import { publicIdentity, type Identity } from '../identity/model.js';
import type { PasswordPolicy } from '../identity/password-policy.js';
import type { IdentityRepository } from '../identity/repository.js';
import type { Session } from '../session/model.js';
import type { SessionRepository } from '../session/repository.js';
import type { SessionService } from '../session/service.js';
import { checkSubmittable, createFlow, failureReason, parseFlowId, render, stringField, type FlowDeps, type FlowRequest } from './common.js';
import { messages, type UiText } from '../text/messages.js';
import { events } from '../tracing/events.js';
import { isExpired, type FlowRecord, type FlowView } from './model.js';

export interface SettingsDeps extends FlowDeps {
  identities: IdentityRepository;
  sessions: SessionRepository;
  sessionService: SessionService;
  hasher: PasswordHasher;
  passwordPolicy: PasswordPolicy;
  lifespanMs: number;
  privilegedMaxAgeMs: number;
}

export function createSettingsFlows(deps: SettingsDeps) {
  async function sessionOf(request: FlowRequest, now: Date): Promise<Session> {
    const session = await deps.sessionService.findActive(request.sessionToken, now);
    if (!session) throw new SessionInactiveError();
    return session;
  }

  const view = (flow: FlowRecord, identity: Identity, options: { messages?: UiText[]; nodeMessages?: Record<string, UiText[]> } = {}) =>
    render(deps, flow, { ...options, identity: publicIdentity(identity, deps.publicBaseUrl) });

  async function ownFlow(rawId: string | undefined, session: Session, now: Date, forSubmit: boolean, request?: FlowRequest) {
    const id = parseFlowId(rawId);
    const flow = await deps.flows.get(id);
    if (!flow || flow.type !== 'settings') throw new NotFoundError();
    if (flow.identityId !== session.identityId) throw new IdentityMismatchError();
    if (!forSubmit) {
      if (isExpired(flow, now)) throw new FlowGoneError('settings', `${deps.publicBaseUrl}/self-service/settings/api`);
      return flow;
    }
    return checkSubmittable(deps, flow, 'settings', deps.lifespanMs, request!, now, {});
  }

  return {
    async init(request: FlowRequest, now: Date): Promise<FlowView> {
      const session = await sessionOf(request, now);
      const flow = await createFlow(deps, 'settings', deps.lifespanMs, request, now, {
        identityId: session.identityId,
        state: 'show_form',
      });
      return view(flow, session.identity);
    },

    async get(rawId: string | undefined, request: FlowRequest, now: Date): Promise<FlowView> {
      const session = await sessionOf(request, now);
      return view(await ownFlow(rawId, session, now, false), session.identity);
    },

    async submit(rawId: string | undefined, body: Record<string, unknown>, request: FlowRequest, now: Date): Promise<FlowView> {
      const attempt: { flow?: FlowRecord; identityId?: string } = {};
      try {
        return await submit(rawId, body, request, now, attempt);
      } catch (error) {
        // Only a method this flow knows is named; anything else a client sent stays off the span.
        const method = body.method === 'password' || body.method === 'profile' ? body.method : '';
        events.settingsFailed({ flowId: attempt.flow?.id, flowType: attempt.flow ? 'api' : '', method, reason: failureReason(error), identityId: attempt.identityId });
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
  ): Promise<FlowView> {
    parseFlowId(rawId);
    const session = await sessionOf(request, now);
    attempt.identityId = session.identityId;
    const flow = await ownFlow(rawId, session, now, true, request);
    attempt.flow = flow;
    const invalid = (options: { messages?: UiText[]; nodeMessages?: Record<string, UiText[]> }) =>
      new FlowValidationError(view(flow, session.identity, options));

    if (body.method !== 'password') {
      throw invalid({ messages: [messages.generic('Only the "password" method can be used to change settings here.')] });
    }
    if (now.getTime() - session.authenticatedAt.getTime() > deps.privilegedMaxAgeMs) throw new SessionRefreshRequiredError();
    const password = stringField(body, 'password');
    if (!password) throw invalid({ nodeMessages: { password: [messages.required('password')] } });

    const identity = await deps.identities.getWithCredentials(session.identityId);
    if (!identity) throw new SessionInactiveError();
    const violation = await deps.passwordPolicy(password, identity.identifiers ?? []);
    if (violation) throw invalid({ nodeMessages: { password: [violation] } });
    const current = identity.password?.hashedPassword;
    if (current && (await deps.hasher.compare(password, current))) {
      throw invalid({ nodeMessages: { password: [messages.passwordSameAsOld()] } });
    }

    const hashedPassword = await deps.hasher.hash(password);
    const identifiers = identity.identifiers ?? [];
    const stored = await deps.identities.update(
      {
        ...identity,
        updatedAt: now,
        password: { identifiers, hashedPassword, createdAt: identity.password?.createdAt ?? now, updatedAt: now },
      },
      identity,
    );
    await deps.sessions.refreshIdentity(stored);
    await deps.flows.markSucceeded(flow.id);
    events.identityUpdated(stored.id);
    events.settingsSucceeded(flow.id, 'api', stored.id, 'password');
    return view({ ...flow, state: 'success', messages: [] }, stored, { messages: [messages.settingsSaved()] });
  }
}
export type SettingsFlows = ReturnType<typeof createSettingsFlows>;
