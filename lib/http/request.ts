/**
 * One request shape for both API Gateway payloads: HTTP API (v2) and REST API (v1) proxy events.
 * Header names are lower-cased here (REST keeps the caller's case); bodies are decoded here.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { BadRequestError } from '../errors/index.js';
import { lowerCaseHeaders, requestOrigin } from '../util/headers.js';

export type LambdaHttpEvent = APIGatewayProxyEventV2 | APIGatewayProxyEvent;

/** Bodies over 1 MiB are refused (413) by the stack before any work (Kratos allows 5 MiB; nothing here needs more than a few KiB). */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface HttpRequest {
  method: string;
  /** The raw path, e.g. `/sessions/whoami`. */
  path: string;
  headers: Record<string, string>;
  query: Record<string, string>;
  /** Path parameters of the route template (`{id}`). */
  params: Record<string, string>;
  rawBody?: string;
  requestId: string;
  sourceIp?: string;
  /** The caller's user agent as API Gateway saw it (the header wins where both are there). */
  userAgent?: string;
  /** The API Gateway payload version of the event (how the answer's cookies are given back). */
  payloadVersion: '1.0' | '2.0';
}

function isV2(event: LambdaHttpEvent): event is APIGatewayProxyEventV2 {
  return (event as APIGatewayProxyEventV2).version === '2.0' || 'rawPath' in event;
}

export function toHttpRequest(event: LambdaHttpEvent, context?: Pick<Context, 'awsRequestId'>): HttpRequest {
  const v2 = isV2(event);
  const headers = lowerCaseHeaders(event.headers);
  if (v2 && event.cookies?.length) headers.cookie = event.cookies.join('; ');
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) {
    // v2 joins repeated parameters with commas; Kratos reads the first value.
    if (value !== undefined) query[name] = v2 ? value.split(',')[0] : value;
  }
  let rawBody: string | undefined;
  const body: unknown = event.body;
  if (typeof body === 'string') {
    rawBody = event.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
  } else if (body !== null && body !== undefined) {
    // API Gateway always sends a string; local emulators have been seen to hand over a parsed JSON value.
    rawBody = JSON.stringify(body);
  }
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.pathParameters ?? {})) {
    if (value !== undefined) params[name] = decodeURIComponentSafe(value);
  }
  return {
    method: (v2 ? event.requestContext.http.method : event.httpMethod).toUpperCase(),
    path: v2 ? event.rawPath : event.path,
    headers,
    query,
    params,
    rawBody,
    requestId: (v2 ? event.requestContext.requestId : event.requestContext?.requestId) ?? context?.awsRequestId ?? '',
    sourceIp: v2 ? event.requestContext.http.sourceIp : event.requestContext?.identity?.sourceIp,
    userAgent: (v2 ? event.requestContext.http.userAgent : event.requestContext?.identity?.userAgent) ?? undefined,
    payloadVersion: v2 ? '2.0' : '1.0',
  };
}

function decodeURIComponentSafe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function setPath(target: Record<string, unknown>, dottedKey: string, value: string): void {
  const parts = dottedKey.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (part === '__proto__' || part === 'constructor' || part === 'prototype') return;
    const next = node[part];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  const last = parts[parts.length - 1];
  if (last === '__proto__' || last === 'constructor' || last === 'prototype') return;
  node[last] = value;
}

/**
 * Decodes a submit body: `application/json`, or `application/x-www-form-urlencoded` with dotted keys
 * (`traits.email=...`) expanded into objects, as Kratos does. Anything else is a 400, never a 500.
 */
export function parseBody(request: HttpRequest): Record<string, unknown> {
  const parsed = parseJsonOrForm(request);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new BadRequestError('Unable to decode JSON payload: the request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

/** A JSON body of any shape (JSON Patch documents are arrays). */
export function parseJsonBody(request: HttpRequest): unknown {
  return parseJsonOrForm(request, false);
}

function parseJsonOrForm(request: HttpRequest, allowForm = true): unknown {
  const raw = request.rawBody ?? '';
  const contentType = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (raw.trim() === '') {
    throw new BadRequestError('Unable to decode HTTP Request Body because its HTTP Header "Content-Length" is zero.');
  }
  if (allowForm && contentType === 'application/x-www-form-urlencoded') {
    const body: Record<string, unknown> = Object.create(null);
    for (const [key, value] of new URLSearchParams(raw)) {
      if (!(key in body) || typeof body[key] !== 'string') setPath(body, key, value);
    }
    return { ...body };
  }
  if (contentType === '' || contentType === 'application/json' || contentType.endsWith('+json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new BadRequestError('Unable to decode JSON payload: the request body is not valid JSON.');
    }
    return parsed;
  }
  throw new BadRequestError(
    `HTTP ${request.method} Request used unknown HTTP Header "Content-Type: ${contentType.slice(0, 100)}", only [application/json${allowForm ? ' application/x-www-form-urlencoded' : ''}] are supported.`,
  );
}

/** The URL the caller requested, as Kratos records it in a flow's `request_url`. */
export function requestUrlOf(request: HttpRequest): string {
  const { scheme, host } = requestOrigin(request.headers);
  const query = new URLSearchParams(request.query).toString();
  return `${scheme}://${host}${request.path}${query ? `?${query}` : ''}`;
}
