/**
 * The cold-start baseline: a bare Middy handler doing what whoami does against DynamoDB, one consistent
 * GetItem of the session stored under the SHA-256 of the token, with the same client settings, and no
 * tracing, logging, or Kratos answer shaping.
 */
import middy from '@middy/core';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyResult } from 'aws-lambda';
import { createHash } from 'node:crypto';

const client = new DynamoDBClient({
  region: process.env.AWS_REGION ?? 'us-east-1',
  endpoint: process.env.DYNAMODB_ENDPOINT,
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 1000, requestTimeout: 5000 },
});

export const handler = middy(async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResult> => {
  const token = event.headers['x-session-token'] ?? '';
  const { Item } = await client.send(
    new GetItemCommand({
      TableName: process.env.DYNAMODB_TABLE_NAME,
      Key: { pk: { S: `SESSION#${createHash('sha256').update(token).digest('hex')}` } },
      ConsistentRead: true,
    }),
  );
  if (!Item) return { statusCode: 401, body: '{}' };
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: Item.id?.S, identity_id: Item.identity_id?.S }) };
});
