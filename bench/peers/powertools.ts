/**
 * Peer: Powertools for AWS Lambda's Tracer, wired as its documentation shows: the handler wrapped in the
 * `captureLambdaHandler` Middy middleware, and the AWS SDK v3 client passed to `captureAWSv3Client`. That
 * records what ours records: a `## whoami.handler` subsegment for the invocation (under Lambda's facade
 * segment) and a DynamoDB subsegment for the GetItem, streamed over UDP to the X-Ray daemon
 * (AWS_XRAY_DAEMON_ADDRESS). It needs the Lambda environment: AWS_EXECUTION_ENV, LAMBDA_TASK_ROOT and a
 * sampled _X_AMZN_TRACE_ID per invocation.
 *
 * The handler is functions/whoami.ts line for line, on our Middy stack with our tracing off; only its app is
 * built here, because the client must be handed to Powertools (functions/whoami.ts uses appSessions(), whose
 * client is private).
 */
import middy from '@middy/core';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { getConfig } from '../../lib/config/index.js';
import { sessionTokenOf } from '../../lib/http/browser.js';
import { httpFunction } from '../../lib/http/stack.js';
import { sessionView } from '../../lib/session/model.js';
import { createSessionService, type SessionService } from '../../lib/session/service.js';
import { createDynamoClient } from '../../lib/store/dynamodb/client.js';
import { createDynamoStore } from '../../lib/store/dynamodb/store.js';

const tracer = new Tracer({ serviceName: 'kratos' });

let sessions: SessionService | undefined;
/** Built at the first invocation, as lib/app.ts builds ours (appSessions()), over the client Powertools wraps. */
function tracedSessions(): SessionService {
  if (!sessions) {
    const config = getConfig();
    const client = tracer.captureAWSv3Client(createDynamoClient(config.dynamodb));
    sessions = createSessionService(createDynamoStore(client, config.dynamodb.tableName).sessions, config);
  }
  return sessions;
}

const whoami = httpFunction({ route: '/sessions/whoami' }, async (request) => {
  const now = new Date();
  const session = await tracedSessions().whoami(sessionTokenOf(request, getConfig(), now), now);
  return {
    status: 200,
    headers: { 'X-Kratos-Authenticated-Identity-Id': session.identityId },
    body: sessionView(session, now, getConfig().publicBaseUrl),
  };
});

export const handler = middy(whoami).use(captureLambdaHandler(tracer));
