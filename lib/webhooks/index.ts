/**
 * Kratos's web hooks (`selfservice/hook/web_hook.go`, `request/builder.go`), shared by the hook that calls them during
 * a flow (lib/hooks/web-hook.ts) and the courier that delivers the queued ones later (lib/courier/dispatcher.ts):
 * the `ctx` a body's Jsonnet gets, the request it makes (body, headers, auth), one attempt as a traced client span with
 * the W3C `traceparent` sent (the receiver's trace joins ours), Kratos's Webhook* events, and what an answer means.
 *
 * Never logged or put on a span: the body, the headers, the URL's query or user info, the answer's body.
 */
import { randomUUID } from 'node:crypto';
import { webHookSecret, type WebHookConfig } from '../config/web-hook.js';
import { WebHookFailedError, WebHookMessagesError } from '../errors/index.js';
import type { UiText } from '../text/messages.js';
import { events } from '../tracing/events.js';
import { tracedFetch, type FetchLike } from '../tracing/http-client.js';
import { withSpan, type SpanAttributes, type SpanHandle } from '../tracing/span.js';
import { readSource } from '../util/sources.js';
import { isPlainObject as isObject } from '../util/objects.js';

/** A request ready to send but for the hook's secret (added at each attempt, never stored). */
export interface WebHookRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/** One attempt's time (Kratos: 30 s; a flow's function has 10 s in all). */
export const ATTEMPT_TIMEOUT_MS = 3_000;
/** A flow waits at most this long for its synchronous hook, retries included. */
const SYNC_BUDGET_MS = 6_000;
const SYNC_MAX_ATTEMPTS = 3;
/** The most of an answer read (Kratos: 5 MB). */
const MAX_ANSWER_CHARS = 5_242_880;

/** Kratos's `clients.web_hook.header_allowlist` default: the request headers a body's `ctx.request_headers` holds. */
const ALLOWED_HEADER = /^(accept(-.*)?|content-.*|origin|priority|referer|sec-.*|true-client-ip|user-agent)$/;

const canonical = (name: string) => name.toLowerCase().replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());

/** What Kratos's `ctx` holds of the request: allowed headers (name -> values, Go's canonical names), the cookies. */
export function requestParts(headers: Record<string, string> | undefined): { request_headers: Record<string, string[]>; request_cookies: Record<string, string> } {
  const request_headers: Record<string, string[]> = {};
  const request_cookies: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const lower = name.toLowerCase();
    if (ALLOWED_HEADER.test(lower)) request_headers[canonical(lower)] = [value];
    if (lower === 'cookie') {
      for (const part of value.split(';')) {
        const at = part.indexOf('=');
        const key = at > 0 ? part.slice(0, at).trim() : '';
        if (key) request_cookies[key] = part.slice(at + 1).trim();
      }
    }
  }
  return { request_headers, request_cookies };
}

const templates = /* @__PURE__ */ new Map<string, Promise<string>>();

/** A body program, read once per container (a `http(s)://` one fetched with a traced client). */
function template(url: string, fetcher: FetchLike): Promise<string> {
  let source = templates.get(url);
  if (!source) {
    source = readSource(url, fetcher);
    templates.set(url, source);
    source.catch(() => templates.delete(url));
  }
  return source;
}

/**
 * The request the hook makes for `ctx`: its body the Jsonnet program's value for `function(ctx)` (JSON, or a form of
 * its string fields), Kratos's default `Content-Type: application/json`. Undefined when the program cancels it
 * (`error "cancel"`): nothing is sent and the flow goes on.
 */
export async function buildRequest(hook: WebHookConfig, ctx: unknown, fetcher: FetchLike = tracedFetch()): Promise<WebHookRequest | undefined> {
  const headers: Record<string, string> = { ...hook.headers };
  const typeHeader = Object.keys(headers).find((name) => name.toLowerCase() === 'content-type');
  if (!typeHeader) headers['Content-Type'] = 'application/json';
  const contentType = (typeHeader ? headers[typeHeader] : 'application/json').split(';')[0].trim().toLowerCase();
  if (!hook.bodyUrl || hook.method === 'TRACE') return { url: hook.url, method: hook.method, headers };
  let value: unknown;
  // Loaded at the first body (the evaluator is no part of a function that runs no hook, whoami's say).
  const { evaluate, JsonnetError } = await import('../jsonnet/index.js');
  try {
    const source = await template(hook.bodyUrl, fetcher);
    value = evaluate(source, { tlaCode: { ctx: JSON.stringify(ctx) } });
  } catch (error) {
    if (error instanceof JsonnetError && error.kind === 'runtime' && error.reason === 'cancel') return undefined;
    throw new WebHookFailedError(500, error instanceof JsonnetError ? `the body's Jsonnet failed: ${error.message}` : `the body's Jsonnet could not be read: ${(error as Error).message}`);
  }
  let body: string;
  if (contentType === 'application/x-www-form-urlencoded') {
    if (!isObject(value) || Object.values(value).some((v) => typeof v !== 'string')) throw new WebHookFailedError(500, 'a form body must be an object of strings');
    body = new URLSearchParams(value as Record<string, string>).toString();
  } else {
    body = JSON.stringify(value);
  }
  return { url: hook.url, method: hook.method, headers, body };
}

/** The request with the hook's credential (api key in a header or cookie, or basic auth). */
function withAuth(request: WebHookRequest, hook: WebHookConfig, secrets: Record<string, string>): WebHookRequest {
  if (!hook.auth) return request;
  const secret = webHookSecret(hook, secrets);
  if (secret === undefined) throw new WebHookFailedError(500, `no secret for web hook "${hook.id}" in SELFSERVICE_WEB_HOOK_SECRETS`);
  const headers = { ...request.headers };
  if (hook.auth.type === 'basic_auth') headers.Authorization = `Basic ${Buffer.from(`${hook.auth.user}:${secret}`).toString('base64')}`;
  else if (hook.auth.in === 'cookie') headers.Cookie = `${hook.auth.name}=${secret}`;
  else headers[hook.auth.name] = secret;
  return { ...request, headers };
}

/** The URL as events show it: no user info, no query (either may hold a credential). */
function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '';
  }
}

export interface AttemptResult {
  status: number;
  text: string;
}

/** Network failures, told apart: a timeout is Kratos's 504, anything else a failure to retry. */
export class WebHookNetworkError extends Error {
  override name = 'WebHookNetworkError';
  constructor(readonly timedOut: boolean) {
    super(timedOut ? 'the web hook did not answer in time' : 'the web hook could not be reached');
  }
}

/** One attempt: the request sent (with the ids of Kratos's events), its answer read, WebhookDelivered emitted. */
export async function attempt(
  request: WebHookRequest,
  hook: WebHookConfig,
  secrets: Record<string, string>,
  meta: { triggerId: string; attempt: number; idempotencyKey?: string },
  fetcher: FetchLike = globalThis.fetch,
): Promise<AttemptResult> {
  const requestId = randomUUID();
  const signed = withAuth(request, hook, secrets);
  const headers = {
    ...signed.headers,
    ...(hook.emitEvents ? { 'Ory-Webhook-Request-ID': requestId, 'Ory-Webhook-Trigger-ID': meta.triggerId } : {}),
    ...(meta.idempotencyKey ? { 'Idempotency-Key': meta.idempotencyKey } : {}),
  };
  let response: Response;
  try {
    response = await tracedFetch({ fetch: fetcher, timeoutMs: ATTEMPT_TIMEOUT_MS, propagate: true })(signed.url, { method: signed.method, headers, body: signed.body });
  } catch (error) {
    const name = (error as { name?: string } | undefined)?.name;
    throw new WebHookNetworkError(name === 'TimeoutError' || name === 'AbortError');
  }
  let text = '';
  try {
    text = (await response.text()).slice(0, MAX_ANSWER_CHARS);
  } catch {
    // An answer whose body broke off: its status still says what happened.
  }
  if (hook.emitEvents) {
    events.webhookDelivered({ url: safeUrl(signed.url), status: response.status, attempt: meta.attempt, requestId, webhookId: hook.id ?? '', triggerId: meta.triggerId });
  }
  return { status: response.status, text };
}

/**
 * `work` in a span of its own, ending with Kratos's WebhookSucceeded or WebhookFailed on it (unless the hook emits no
 * events): what every call of a hook shares, waited for, queued, or the password migration's.
 */
export function inWebHookSpan<T>(
  name: string,
  attributes: SpanAttributes,
  hook: WebHookConfig,
  triggerId: string,
  work: (span: SpanHandle) => Promise<T>,
): Promise<T> {
  return withSpan(name, attributes, async (span) => {
    try {
      const outcome = await work(span);
      if (hook.emitEvents) events.webhookSucceeded(hook.id ?? '', triggerId);
      return outcome;
    } catch (error) {
      if (hook.emitEvents) events.webhookFailed(hook.id ?? '', triggerId, error instanceof WebHookFailedError ? error.detail : (error as Error).message);
      throw error;
    }
  });
}

/** Statuses worth another attempt (retryablehttp's: 429, and 5xx but 501). */
export const retryable = (status: number) => status === 429 || (status >= 500 && status !== 501);

/** Kratos's 4xx answer: `{messages: [{instance_ptr, messages: [{id, text, type, context}]}]}`. */
function messagesOf(text: string): WebHookMessagesError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new WebHookFailedError(500, 'the web hook answered an error that is not JSON');
  }
  const list = isObject(parsed) && Array.isArray(parsed.messages) ? parsed.messages : [];
  const out: { node?: string; messages: UiText[] }[] = [];
  for (const entry of list) {
    if (!isObject(entry)) continue;
    const pointer = typeof entry.instance_ptr === 'string' ? entry.instance_ptr : '#/';
    const node = pointer.replace(/^#\/?/, '').split('/').filter(Boolean).join('.') || undefined;
    const messages: UiText[] = (Array.isArray(entry.messages) ? entry.messages : []).filter(isObject).map((m) => ({
      id: typeof m.id === 'number' ? m.id : 0,
      text: typeof m.text === 'string' ? m.text : '',
      type: m.type === 'error' ? 'error' : 'info',
      ...(isObject(m.context) ? { context: m.context } : {}),
    }));
    out.push({ ...(node ? { node } : {}), messages });
  }
  if (out.length === 0) throw new WebHookFailedError(500, 'error while parsing webhook response: got no validation errors');
  return new WebHookMessagesError(out);
}

/**
 * A synchronous hook, as a flow waits for it: attempts (retried on network failures, 429 and 5xx but 501, within
 * the flow's budget), then Kratos's reading of the answer. Resolves with the `identity` of a parsed 200 answer (if
 * any); throws WebHookMessagesError (an interrupting 4xx with messages) or WebHookFailedError (504, 502, 500).
 */
export function callWebHook(
  hook: WebHookConfig,
  request: WebHookRequest,
  secrets: Record<string, string>,
  fetcher: FetchLike = globalThis.fetch,
): Promise<{ identity?: Record<string, unknown> }> {
  const triggerId = randomUUID();
  const attributes = {
    'webhook.jsonnet.template-uri': hook.bodyUrl?.startsWith('base64://') ? 'base64://…' : (hook.bodyUrl ?? ''),
    'webhook.can_interrupt': hook.canInterrupt,
    'webhook.response.ignore': false,
    'webhook.response.parse': hook.parse,
  };
  return inWebHookSpan('selfservice.webhook', attributes, hook, triggerId, async (span): Promise<{ identity?: Record<string, unknown> }> => {
    const started = Date.now();
    let result: AttemptResult | undefined;
    let lastFailure: WebHookNetworkError | undefined;
    for (let n = 1; n <= SYNC_MAX_ATTEMPTS; n++) {
      if (n > 1) {
        const backoff = 200 * 2 ** (n - 2);
        if (Date.now() - started + backoff + ATTEMPT_TIMEOUT_MS > SYNC_BUDGET_MS) break;
        await new Promise((resolve) => setTimeout(resolve, backoff));
      }
      try {
        result = await attempt(request, hook, secrets, { triggerId, attempt: n }, fetcher);
        lastFailure = undefined;
      } catch (error) {
        if (!(error instanceof WebHookNetworkError)) throw error;
        lastFailure = error;
        result = undefined;
        continue;
      }
      if (!retryable(result.status)) break;
    }
    if (lastFailure) throw new WebHookFailedError(lastFailure.timedOut ? 504 : 500, lastFailure.message);
    const { status, text } = result!;
    span.setAttributes({ 'http.response.status_code': status });
    if (retryable(status)) throw new WebHookFailedError(500, `the web hook answered ${status} to every attempt`);
    if (status >= 400) {
      if (hook.canInterrupt || hook.parse) throw messagesOf(text);
      throw new WebHookFailedError(502, `webhook failed with status code ${status}`);
    }
    if (!hook.parse || status !== 200) return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new WebHookFailedError(500, 'webhook response could not be unmarshalled properly from JSON');
    }
    const identity = isObject(parsed) && isObject(parsed.identity) ? parsed.identity : undefined;
    return identity ? { identity } : {};
  });
}

/**
 * Kratos's password migration hook (`selfservice/hook/password_migration_hook.go`): asks the legacy system whether
 * `password` is right for `identifier`. The body is `{identifier, password}`, or the hook's Jsonnet given Kratos's `ctx`
 * with both added. True only for a 200 `{"status": "password_match"}`; another 200 or a 403 is a wrong password; any
 * other answer, or none, is Kratos's 502 (504 when it does not answer in time).
 */
export function askPasswordMigration(
  hook: WebHookConfig,
  ctx: Record<string, unknown>,
  credentials: { identifier: string; password: string },
  secrets: Record<string, string>,
  fetcher: FetchLike = globalThis.fetch,
): Promise<boolean> {
  const triggerId = randomUUID();
  const named = { ...hook, id: hook.id ?? 'password_migration_hook' };
  return inWebHookSpan('selfservice.login.password_migration', {}, named, triggerId, async (span) => {
    const request = hook.bodyUrl
      ? await buildRequest(hook, { ...ctx, ...credentials })
      : { url: hook.url, method: hook.method, headers: { 'Content-Type': 'application/json', ...hook.headers }, body: JSON.stringify(credentials) };
    if (!request) throw new WebHookFailedError(500, 'the password migration hook cannot be cancelled');
    const result = await attempt(request, named, secrets, { triggerId, attempt: 1 }, fetcher).catch((error: unknown) => {
      if (error instanceof WebHookNetworkError) throw new WebHookFailedError(error.timedOut ? 504 : 502, error.message);
      throw error;
    });
    span.setAttributes({ 'http.response.status_code': result.status });
    let matches = false;
    if (result.status === 200) {
      try {
        matches = (JSON.parse(result.text.slice(0, 1024)) as { status?: unknown }).status === 'password_match';
      } catch {
        matches = false;
      }
    } else if (result.status !== 403) {
      throw new WebHookFailedError(502, `password migration hook failed with status code ${result.status}`);
    }
    return matches;
  });
}
