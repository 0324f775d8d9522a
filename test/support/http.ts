/** Small helpers for end-to-end tests that speak HTTP to serverless-offline. */
import { Configuration, FrontendApi } from '@ory/kratos-client';
import { randomUUID } from 'node:crypto';
import { baseUrl } from './env.js';

export function frontendApi(): FrontendApi {
  return new FrontendApi(new Configuration({ basePath: baseUrl() }));
}

export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}@example.com`;
}

export const GOOD_PASSWORD = 'correct horse battery staple 42';

/** The status and body of a failed SDK call (axios rejects every non-2xx). */
export async function failure(call: Promise<unknown>): Promise<{ status: number; data: any; headers: Record<string, string> }> {
  try {
    await call;
  } catch (error) {
    const response = (error as { response?: { status: number; data: unknown; headers: Record<string, string> } }).response;
    if (!response) throw error;
    return { status: response.status, data: response.data, headers: response.headers };
  }
  throw new Error('expected the call to fail, but it succeeded');
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export async function request(method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}): Promise<RawResponse> {
  const res = await fetch(`${baseUrl()}${path}`, { method, headers: init.headers, body: init.body });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export function nodeMessages(flow: any, name: string): any[] {
  const node = flow.ui.nodes.find((n: any) => n.attributes.name === name);
  if (!node) throw new Error(`flow has no node ${name}`);
  return node.messages;
}

export function messageIds(flow: any): number[] {
  return (flow.ui.messages ?? []).map((m: any) => m.id);
}

import { IdentityApi } from '@ory/kratos-client';
import { TEST_ENV } from './env.js';

export function identityApi(key: string = TEST_ENV.ADMIN_API_KEY): IdentityApi {
  return new IdentityApi(new Configuration({ basePath: baseUrl(), apiKey: `Bearer ${key}` }));
}

/** The URLs of a `Link` header by relation. */
export function links(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(',')) {
    const match = /<([^>]+)>;\s*rel="([^"]+)"/.exec(part.trim());
    if (match) out[match[2]] = match[1];
  }
  return out;
}

export interface Answer {
  status: number;
  headers: Headers;
  json: any;
  /** The trace id from the `traceresponse` header. */
  traceId?: string;
  /** The root span id from the `traceresponse` header. */
  spanId?: string;
  elapsedMs: number;
}

export async function call(
  base: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; json?: unknown } = {},
): Promise<Answer> {
  const started = performance.now();
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(options.json !== undefined ? { 'Content-Type': 'application/json' } : {}), ...options.headers },
    body: options.json !== undefined ? JSON.stringify(options.json) : undefined,
  });
  const text = await res.text();
  const elapsedMs = performance.now() - started;
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(res.headers.get('traceresponse') ?? '');
  return {
    status: res.status,
    headers: res.headers,
    json: text ? JSON.parse(text) : undefined,
    traceId: match?.[1],
    spanId: match?.[2],
    elapsedMs,
  };
}

/**
 * A new identity through the API flow of the stack at `base` (the one registration helper of the e2e suites): the
 * flow's and the submit's answers, and what a test goes on with.
 */
export async function registerVia(base: string, email = uniqueEmail(), password = GOOD_PASSWORD) {
  const init = await call(base, 'GET', '/self-service/registration/api');
  const res = init.status === 200 ? await call(base, 'POST', `/self-service/registration?flow=${init.json.id}`, { json: { method: 'password', password, traits: { email } } }) : init;
  return { init, res, status: res.status, email, flowId: init.json?.id as string, token: res.json?.session_token as string, identityId: res.json?.identity?.id as string };
}
