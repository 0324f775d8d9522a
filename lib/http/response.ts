/**
 * Responses and the one place that maps errors to Kratos's HTTP answers.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { FlowExpiredError, FlowValidationError, KratosError } from '../errors.js';
import { minutesAgo } from '../flows/messages.js';

export interface HttpResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  410: 'Gone',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const DEFAULT_MESSAGE: Record<number, string> = {
  400: 'The request was malformed or contained invalid parameters',
  401: 'The request could not be authorized',
  403: 'The requested action was forbidden',
  404: 'The requested resource could not be found',
  409: 'The resource could not be created due to a conflict',
  410: 'The requested resource is no longer available because it has expired or is otherwise invalid.',
  413: 'The request body is too large',
  500: 'An internal server error occurred, please contact the system administrator',
  503: 'The service is temporarily unavailable, please try again later',
};

export interface ErrorEnvelopeInput {
  status: number;
  id?: string;
  reason?: string;
  details?: Record<string, unknown>;
  message?: string;
  requestId?: string;
}

export function errorEnvelope(input: ErrorEnvelopeInput): { error: Record<string, unknown> } {
  const error: Record<string, unknown> = {};
  if (input.id) error.id = input.id;
  error.code = input.status;
  error.status = STATUS_TEXT[input.status] ?? 'Error';
  if (input.requestId) error.request = input.requestId;
  if (input.reason) error.reason = input.reason;
  if (input.details) error.details = input.details;
  error.message = input.message ?? DEFAULT_MESSAGE[input.status] ?? STATUS_TEXT[input.status] ?? 'Error';
  return { error };
}

/**
 * Typed errors become Kratos's answers; anything unexpected becomes a bare 500 that shows no internals.
 * Returns whether the error was unexpected, so the caller can log it.
 */
export function errorToResult(error: unknown, requestId: string | undefined): HttpResult & { unexpected: boolean } {
  if (error instanceof FlowValidationError) return { status: 400, body: error.flow, unexpected: false };
  if (error instanceof FlowExpiredError) {
    const minutes = minutesAgo(error.expiredAt, error.now);
    return {
      status: 410,
      unexpected: false,
      body: {
        ...errorEnvelope({
          status: 410,
          id: 'self_service_flow_expired',
          reason: `The self-service flow expired ${minutes} minutes ago, initialize a new one.`,
          message: 'self-service flow expired',
          requestId,
        }),
        expired_at: error.expiredAt.toISOString(),
        since: (error.now.getTime() - error.expiredAt.getTime()) * 1_000_000,
        use_flow_id: error.useFlowId,
      },
    };
  }
  if (error instanceof KratosError) {
    const headers: Record<string, string> = error.id ? { 'Ory-Error-Id': error.id } : {};
    return {
      status: error.status,
      unexpected: false,
      headers,
      body: errorEnvelope({
        status: error.status,
        id: error.id,
        reason: error.reason,
        details: error.details,
        message: error.message !== error.reason ? error.message : undefined,
        requestId,
      }),
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
