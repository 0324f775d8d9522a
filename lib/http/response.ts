/**
 * Responses, and the one place that maps errors to HTTP answers.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { errorEnvelope, KratosError } from '../errors/index.js';

export interface HttpResult {
  status: number;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as an HTML page instead (the self-service UI). */
  html?: string;
  /** Sent as it is, of the type the `Content-Type` header says (webauthn.js). */
  text?: string;
  headers?: Record<string, string>;
  /** Set-Cookie values (API Gateway v2 answers them as `cookies`, v1 as a multi-value header). */
  cookies?: string[];
}

/**
 * Typed errors become Kratos's answers; anything unexpected becomes a bare 500 that shows no internals.
 * Returns whether the error was unexpected, so the caller can log it.
 */
export function errorToResult(error: unknown, requestId: string | undefined): HttpResult & { unexpected: boolean } {
  if (error instanceof KratosError) {
    return {
      status: error.status,
      unexpected: false,
      headers: { ...(error.id ? { 'Ory-Error-Id': error.id } : {}), ...error.headers },
      body: error.body(requestId),
    };
  }
  return { status: 500, unexpected: true, body: errorEnvelope({ status: 500, requestId }) };
}

export type LambdaResult = APIGatewayProxyResult & { cookies?: string[] };

/** `payloadVersion`: the event's, since API Gateway takes cookies differently from each (v2 `cookies`, v1 multi-value). */
export function toLambdaResult(result: HttpResult, extraHeaders: Record<string, string>, payloadVersion: '1.0' | '2.0' = '2.0'): LambdaResult {
  const headers: Record<string, string> = { ...extraHeaders, ...result.headers };
  let body = '';
  if (result.html !== undefined) {
    headers['Content-Type'] = 'text/html; charset=utf-8';
    body = result.html;
  } else if (result.text !== undefined) {
    body = result.text;
  } else if (result.body !== undefined) {
    headers['Content-Type'] = 'application/json; charset=utf-8';
    body = JSON.stringify(result.body);
  }
  const answer: LambdaResult = { statusCode: result.status, headers, body };
  if (result.cookies?.length) {
    if (payloadVersion === '2.0') answer.cookies = result.cookies;
    else answer.multiValueHeaders = { 'Set-Cookie': result.cookies };
  }
  return answer;
}
