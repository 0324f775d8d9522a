/** What the flows share: ids, creation, lookup, expiry, the native-flow CSRF guard and the signed-in check. */
import { randomUUID } from 'node:crypto';
import { BadRequestError, FlowExpiredError, FlowGoneError, FlowValidationError, KratosError, NotFoundError } from '../errors/index.js';
import type { IdentitySchema } from '../identity/schema.js';
import type { ClientInfo } from '../session/model.js';
import type { SessionService } from '../session/service.js';
import { canonicalUuid } from '../util/ids.js';
import { messages } from '../text/messages.js';
import { isExpired, type FlowRecord, type FlowType, type FlowView } from './model.js';
import type { FlowRepository } from './repository.js';
import { renderFlow, type RenderOptions } from './ui.js';

/** What a flow endpoint knows about the caller. */
export interface FlowRequest extends ClientInfo {
  requestUrl: string;
  /** Session token from X-Session-Token or Authorization: Bearer. */
  sessionToken?: string;
  origin?: string;
  hasCookie: boolean;
}

export interface FlowDeps {
  flows: FlowRepository;
  schema: IdentitySchema;
  publicBaseUrl: string;
}

export function parseFlowId(raw: string | undefined): string {
  const id = canonicalUuid(raw);
  if (!id) throw new BadRequestError('The flow query parameter is missing or malformed.');
  return id;
}

/** Whether the caller already has an active session (Kratos refuses login and registration then, unless refreshing). */
export async function hasActiveSession(sessionService: SessionService, request: FlowRequest, now: Date): Promise<boolean> {
  return (await sessionService.findActive(request.sessionToken, now)) !== undefined;
}

export async function createFlow(
  deps: FlowDeps,
  type: FlowType,
  lifespanMs: number,
  request: Pick<FlowRequest, 'requestUrl'>,
  now: Date,
  extra: Partial<FlowRecord> = {},
): Promise<FlowRecord> {
  const flow: FlowRecord = {
    id: randomUUID(),
    type,
    state: 'choose_method',
    requestUrl: request.requestUrl,
    issuedAt: now,
    expiresAt: new Date(now.getTime() + lifespanMs),
    ...extra,
  };
  await deps.flows.create(flow);
  return flow;
}

export function render(deps: FlowDeps, flow: FlowRecord, options?: RenderOptions): FlowView {
  return renderFlow(flow, deps.schema, deps.publicBaseUrl, options);
}

/** `GET /self-service/<type>/flows?id=`: the flow, 404 if unknown (or of another type), 410 once expired. */
export async function getFlowView(deps: FlowDeps, type: FlowType, rawId: string | undefined, now: Date): Promise<FlowView> {
  const flow = await deps.flows.get(parseFlowId(rawId));
  if (!flow || flow.type !== type) throw new NotFoundError();
  if (isExpired(flow, now)) throw new FlowGoneError(type, `${deps.publicBaseUrl}/self-service/${type}/api`);
  return render(deps, flow);
}

/**
 * Checks a flow loaded for a submit: unknown -> 404; expired -> a replacement flow that says why and a 410
 * pointing at it; Origin or Cookie on an API flow -> 400 (native flows are CSRF-protected by refusing them).
 */
export async function checkSubmittable(
  deps: FlowDeps,
  flow: FlowRecord | undefined,
  type: FlowType,
  lifespanMs: number,
  request: FlowRequest,
  now: Date,
  values: Record<string, unknown>,
): Promise<FlowRecord> {
  if (!flow || flow.type !== type) throw new NotFoundError();
  if (isExpired(flow, now)) {
    const replacement = await createFlow(deps, type, lifespanMs, { requestUrl: flow.requestUrl }, now, {
      messages: [messages.flowExpired(type, flow.expiresAt, now)],
      ...(flow.identityId ? { identityId: flow.identityId, state: flow.state === 'success' ? 'show_form' : flow.state } : {}),
    });
    throw new FlowExpiredError(flow.expiresAt, now, replacement.id);
  }
  const csrfReason = request.origin
    ? 'The HTTP Request Header included the "Origin" key, indicating that this request was made as part of an AJAX request in a Browser. The flow however was initiated as an API request. To prevent potential misuse and mitigate several attack vectors including CSRF, the request has been blocked. Please consult the documentation.'
    : request.hasCookie
      ? 'The HTTP Request Header included the "Cookie" key, indicating that this request was made by a Browser. The flow however was initiated as an API request. To prevent potential misuse and mitigate several attack vectors including CSRF, the request has been blocked. Please consult the documentation.'
      : undefined;
  if (csrfReason) throw new FlowValidationError(render(deps, flow, { values, messages: [messages.generic(csrfReason)] }));
  // Login and registration flows are single use; a settings flow may be submitted again after a success.
  if (type !== 'settings' && flow.state !== 'choose_method') {
    throw new FlowValidationError(render(deps, flow, { values, messages: [messages.flowAlreadyCompleted(type)] }));
  }
  return flow;
}

export function stringField(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * What a failed submit's span event says went wrong: a validation error's messages (flow-level, then per node), a
 * typed error's reason, and for anything else no internals.
 */
export function failureReason(error: unknown): string {
  if (error instanceof FlowValidationError) {
    const ui = (error.flow as FlowView).ui;
    const texts = [...(ui.messages ?? []), ...ui.nodes.flatMap((node) => node.messages)].map((m) => `${m.id}: ${m.text}`);
    return texts.join('; ') || 'the flow failed validation';
  }
  if (error instanceof KratosError) return error.reason ?? error.message;
  return 'An internal server error occurred';
}
