/**
 * Kratos's `web_hook` (`selfservice/hook/web_hook.go`), before a flow is made and after it succeeded. The body's
 * Jsonnet gets Kratos's `ctx` (the flow, the request's allowed headers, method, URL and cookies, and after a flow the
 * identity without credentials or admin metadata, and the session a login issued or a settings flow is made with).
 *
 * - A hook whose answer is waited for runs before the flow's writes are committed: its failure (Kratos's 504, 502,
 *   500) or an interrupting 4xx with messages stops the flow with nothing written. (Kratos calls the plain ones of
 *   registration and settings after the identity is stored, and a failure then answers an error for a change that
 *   was made.) With `response.parse`, a 200 answer's `identity` changes the identity a registration or a settings
 *   change stores: its traits (identifiers and addresses follow, the schema checks them), public and admin metadata,
 *   state and external id.
 * - `response.ignore: true`: queued in the flow's own transaction and delivered by the courier (lib/webhooks/queued.ts),
 *   never holding the answer up, never lost.
 */
import { randomUUID } from 'node:crypto';
import type { WebHookConfig } from '../config/web-hook.js';
import type { QueuedWebHook } from '../webhooks/queued.js';
import { queuedWebHook } from '../courier/model.js';
import type { CourierRepository } from '../courier/repository.js';
import type { AfterContext, AfterHook, BeforeContext, BeforeHook } from '../flows/hooks.js';
import type { FlowRecord } from '../flows/model.js';
import type { FlowRequest } from '../flows/request.js';
import { withTraits } from '../identity/addresses.js';
import { publicIdentity, type Identity } from '../identity/model.js';
import type { SchemaRegistry } from '../identity/schema.js';
import { sessionView } from '../session/model.js';
import { currentTraceparent } from '../tracing/span.js';
import type { FetchLike } from '../tracing/http-client.js';
import type { Writes } from '../util/writes.js';
import { askPasswordMigration, buildRequest, callWebHook, requestParts, type WebHookRequest } from '../webhooks/index.js';
import { WebHookFailedError } from '../errors/index.js';
import { isPlainObject as isObject } from '../util/objects.js';

export interface WebHookDeps {
  publicBaseUrl: string;
  /** The hooks' secrets by id (read once Parameter Store has been). */
  secrets: () => Record<string, string>;
  courier: Pick<CourierRepository, 'queue'>;
  /** A before hook has no transaction of its own to join: its queued delivery is committed alone. */
  commit: (...writes: Writes[]) => Promise<void>;
  /** The schemas a parsed answer's traits are checked against. */
  schemas?: SchemaRegistry;
  /** Tests: what requests go through; the global fetch by default. */
  fetch?: FetchLike;
}

/** Kratos's flow as `ctx.flow` shows it (without its UI nodes). */
function flowOf(flow: FlowRecord): Record<string, unknown> {
  return {
    id: flow.id,
    type: flow.mode,
    state: flow.state,
    request_url: flow.requestUrl,
    issued_at: flow.issuedAt.toISOString(),
    expires_at: flow.expiresAt.toISOString(),
    ...(flow.returnTo ? { return_to: flow.returnTo } : {}),
    ...(flow.active ? { active: flow.active } : {}),
    ...(flow.refresh !== undefined ? { refresh: flow.refresh } : {}),
    ...(flow.requestedAal ? { requested_aal: flow.requestedAal } : {}),
    ...(flow.transientPayload ? { transient_payload: flow.transientPayload } : {}),
  };
}

function contextOf(flow: FlowRecord, request: FlowRequest, more: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    flow: flowOf(flow),
    ...requestParts(request.http?.headers),
    request_method: request.http?.method ?? 'POST',
    request_url: request.requestUrl,
    ...more,
  };
}

/** A parsed 200 answer's `identity` applied as Kratos applies it: each non-empty field replaces the identity's. */
async function applied(identity: Identity, answer: Record<string, unknown>, deps: WebHookDeps, now: Date): Promise<Identity> {
  let next: Identity = { ...identity };
  if (isObject(answer.traits) && Object.keys(answer.traits).length > 0) {
    const schema = deps.schemas?.get(identity.schemaId);
    if (!schema) throw new WebHookFailedError(500, `the identity's schema "${identity.schemaId}" is not known`);
    if ((await schema.validate(answer.traits)).length > 0) throw new WebHookFailedError(500, 'the web hook answered traits its identity schema does not accept');
    next = withTraits(next, schema, answer.traits, now);
  }
  if (isObject(answer.metadata_public)) next.metadataPublic = answer.metadata_public;
  if (isObject(answer.metadata_admin)) next.metadataAdmin = answer.metadata_admin;
  if (answer.state === 'active' || answer.state === 'inactive') next.state = answer.state;
  if (typeof answer.external_id === 'string' && answer.external_id !== '') next.externalId = answer.external_id;
  return next;
}

function queued(hook: WebHookConfig, request: WebHookRequest): QueuedWebHook {
  return { fingerprint: hook.fingerprint, url: request.url, method: request.method, headers: request.headers, ...(request.body !== undefined ? { body: request.body } : {}) };
}

export function webHook(deps: WebHookDeps, hook: WebHookConfig): BeforeHook & AfterHook {
  const queue = (request: WebHookRequest, now: Date): Writes => deps.courier.queue(queuedWebHook(randomUUID(), queued(hook, request), now, currentTraceparent()));

  return {
    name: 'web_hook',

    async run(ctx: BeforeContext) {
      // Kratos's settings before hooks see the session the flow is for; the others, none.
      const session = ctx.session ? { session: sessionView(ctx.session, ctx.now, deps.publicBaseUrl) } : {};
      const request = await buildRequest(hook, contextOf(ctx.flow, ctx.request, session), deps.fetch);
      if (!request) return;
      if (hook.ignore) return deps.commit(queue(request, ctx.now));
      await callWebHook(hook, request, deps.secrets(), deps.fetch);
    },

    async prepare(ctx: AfterContext) {
      // As Kratos: the session a login issued, or the one a settings change was made with; other flows send none.
      const acting = ctx.flowType === 'login' ? ctx.session?.session : ctx.flowType === 'settings' ? ctx.actingSession : undefined;
      const session = acting ? { session: sessionView(acting, ctx.now, deps.publicBaseUrl) } : {};
      const request = await buildRequest(hook, contextOf(ctx.flow, ctx.request, { identity: publicIdentity(ctx.identity, deps.publicBaseUrl), ...session }), deps.fetch);
      if (!request) return;
      if (hook.ignore) {
        ctx.writes.push(queue(request, ctx.now));
        return;
      }
      const answer = await callWebHook(hook, request, deps.secrets(), deps.fetch);
      // Kratos stores what an answer changes only where the identity is about to be stored: registration, settings.
      if (answer.identity && (ctx.flowType === 'registration' || ctx.flowType === 'settings')) ctx.identity = await applied(ctx.identity, answer.identity, deps, ctx.now);
    },
  };
}

/**
 * The password migration hook's question, with Kratos's `ctx` for a body program (the flow, the request, the
 * identity; the identifier and password added by lib/webhooks).
 */
export function passwordMigrationCheck(deps: Pick<WebHookDeps, 'publicBaseUrl' | 'secrets' | 'fetch'>, hook: WebHookConfig) {
  return (check: { identifier: string; password: string; identity: Identity; flow: FlowRecord; request: FlowRequest }): Promise<boolean> =>
    askPasswordMigration(
      hook,
      contextOf(check.flow, check.request, { identity: publicIdentity(check.identity, deps.publicBaseUrl) }),
      { identifier: check.identifier, password: check.password },
      deps.secrets(),
      deps.fetch,
    );
}
