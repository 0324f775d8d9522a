/** What the Lambda runtime hands a function: API Gateway v2 events, a context, and the X-Ray trace header. */
import { randomBytes, randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyResult, Context } from 'aws-lambda';

export type LambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResult>;

export interface EventOptions {
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: unknown;
}

/** An HTTP API (v2) proxy event, as API Gateway sends it. */
export function httpEvent(method: string, path: string, options: EventOptions = {}): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    headers: { host: 'id.example.com', 'user-agent': 'kratos-bench', ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
    queryStringParameters: options.query,
    requestContext: {
      accountId: '123456789012',
      apiId: 'bench',
      domainName: 'id.example.com',
      domainPrefix: 'id',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'kratos-bench' },
      requestId: randomUUID(),
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    isBase64Encoded: false,
  };
}

/** A fresh context per invocation, as Lambda gives one (the tracing keys per-invocation state on it). */
export function lambdaContext(functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => 30_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/**
 * A `_X_AMZN_TRACE_ID`, new for every invocation, as Lambda sets it: sampled when active tracing is on (the
 * default here), `Sampled=0` for an invocation X-Ray does not trace.
 */
export function xrayTraceHeader(sampled: 0 | 1 = 1): string {
  const epoch = Math.floor(Date.now() / 1000).toString(16).padStart(8, '0');
  return `Root=1-${epoch}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=${sampled}`;
}

/** The environment the Lambda runtime sets, which the peers (Powertools, OpenTelemetry) look for. */
export function lambdaRuntimeEnv(taskRoot: string, functionName: string): Record<string, string> {
  return {
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
    LAMBDA_TASK_ROOT: taskRoot,
    _HANDLER: `${functionName}.handler`,
  };
}
