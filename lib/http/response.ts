/**
 * Responses, and the one place that maps errors to HTTP answers.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { errorEnvelope, KratosError } from '../errors/index.js';

export interface HttpResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
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
      headers: error.id ? { 'Ory-Error-Id': error.id } : {},
      body: error.body(requestId),
    };
  }
  return { status: 500, unexpected: true, body: errorEnvelope({ status: 500, requestId }) };
}

export function toLambdaResult(result: HttpResult, extraHeaders: Record<string, string>): APIGatewayProxyResult {
  const headers: Record<string, string> = { ...extraHeaders, ...result.headers };
  if (result.body === undefined) return { statusCode: result.status, headers, body: '' };
  headers['Content-Type'] = 'application/json; charset=utf-8';
  return { statusCode: result.status, headers, body: JSON.stringify(result.body) };
}
