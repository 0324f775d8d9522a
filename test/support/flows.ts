/**
 * Flow tests in-process, on the in-memory store: the whole app as the functions build it (methods, hooks, flows),
 * minus HTTP and DynamoDB, so a flow's every branch is tested in milliseconds. What crosses the wire is the e2e
 * suites' job.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createApp, type AppOptions } from '../../lib/app.js';
import { loadConfig } from '../../lib/config/index.js';
import type { FlowAnswer } from '../../lib/flows/answer.js';
import type { FlowRequest } from '../../lib/flows/common.js';
import { newCsrfToken } from '../../lib/flows/csrf.js';
import type { FlowView } from '../../lib/flows/model.js';
import { builtinSchema, IdentitySchema, SchemaRegistry, type JsonSchema } from '../../lib/identity/schema.js';
import { createMemoryStore } from '../../lib/store/memory/index.js';
import { TEST_ENV } from './env.js';

export const PASSWORD = 'correct horse battery staple';
export const SECRET = 'flow-test-secret-0123456789abcdef';

/** An app on a fresh memory store; recovery and verification on (as npm start runs), configuration overridable. */
export function memoryApp(env: Record<string, string> = {}, options: AppOptions = {}, schemas = new SchemaRegistry([builtinSchema()], 'default')) {
  const config = loadConfig({
    ...TEST_ENV,
    SERVE_PUBLIC_BASE_URL: 'http://127.0.0.1:4433',
    SECRETS_DEFAULT: SECRET,
    SELFSERVICE_FLOWS_RECOVERY_ENABLED: 'true',
    SELFSERVICE_FLOWS_VERIFICATION_ENABLED: 'true',
    ...env,
  });
  const store = createMemoryStore();
  const app = createApp(config, store, schemas, options);
  return { app, store, config };
}
export type MemoryApp = ReturnType<typeof memoryApp>;

/** A native app's request: no cookie, JSON; optionally with a session token. */
export function apiRequest(over: Partial<FlowRequest> = {}): FlowRequest {
  return { requestUrl: 'http://127.0.0.1:4433/self-service/x/api', hasCookie: false, ipAddress: '192.0.2.10', browser: { anyCookie: false, ajax: false, json: true }, ...over };
}

/** A browser's request with its anti-CSRF cookie; a form post unless `json`. */
export function browserRequest(csrfCookie = newCsrfToken(), over: { json?: boolean; sessionToken?: string; csrfHeader?: string } = {}): FlowRequest {
  return {
    requestUrl: 'http://127.0.0.1:4433/self-service/x/browser',
    hasCookie: true,
    ipAddress: '192.0.2.20',
    sessionToken: over.sessionToken,
    browser: { csrfCookie, anyCookie: true, ajax: false, json: over.json ?? false, ...(over.csrfHeader ? { csrfHeader: over.csrfHeader } : {}) },
  };
}

export const uniqueEmail = (what = 'user') => `${what}-${randomUUID().slice(0, 8)}@example.com`;

/** The flow a FlowValidationError (or a 200 answer) carries. */
export const flowOf = (value: unknown): FlowView => ((value as { flow?: FlowView }).flow ?? (value as FlowAnswer).body) as FlowView;

/** Every message id of a flow: flow-level, then node by node as `name:id`. */
export function messageIds(flow: FlowView): (number | string)[] {
  return [...(flow.ui.messages ?? []).map((m) => m.id), ...flow.ui.nodes.flatMap((n) => n.messages.map((m) => `${n.attributes.name}:${m.id}`))];
}

/** What a rejected promise was rejected with (the test fails if it was not). */
export async function rejection(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}

/** Registers through the API flow; the session token, identity id and the answer. */
export async function register(app: MemoryApp['app'], email = uniqueEmail(), password = PASSWORD) {
  const flow = await app.registration.init(apiRequest(), new Date());
  const answer = await app.registration.submit(flow.id, { method: 'password', password, traits: { email } }, apiRequest(), new Date());
  const body = answer.body as { session_token: string; identity: { id: string }; continue_with: Record<string, unknown>[] };
  return { email, token: body.session_token, identityId: body.identity.id, body };
}

/** Logs in through the API flow: the answer. */
export async function login(app: MemoryApp['app'], identifier: string, password = PASSWORD, request = apiRequest()) {
  const flow = await app.login.init(request, { refresh: false }, new Date());
  return app.login.submit(flow.id, { method: 'password', identifier, password }, request, new Date());
}

/** The code in the last message queued to `to` (what the courier would mail). */
export function lastCodeTo(store: MemoryApp['store'], to: string): string {
  const mails = [...store.tables.messages.values()].filter((m) => m.recipient === to);
  const data = mails[mails.length - 1]?.templateData;
  const code = data?.recovery_code ?? data?.verification_code ?? data?.login_code ?? data?.registration_code;
  if (!code) throw new Error(`no code was queued to ${to}`);
  return code;
}

/** The hex SHA-256 of a token (the key sessions are stored under). */
export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/**
 * Kratos's quickstart schema with its e-mail also a code address (`credentials.code`, as Kratos's all-strategies
 * quickstart marks it): what passwordless and second-factor codes need.
 */
export function codeSchemaDocument(): JsonSchema {
  const document = structuredClone(builtinSchema().document);
  const email = document.properties!.traits.properties!.email;
  email['ory.sh/kratos']!.credentials = { ...email['ory.sh/kratos']!.credentials, code: { identifier: true, via: 'email' } };
  return document;
}

/** A registry whose default schema has code addresses. */
export const codeSchemas = () => new SchemaRegistry([new IdentitySchema('default', codeSchemaDocument())], 'default');
