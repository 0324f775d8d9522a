/**
 * A span per DynamoDB call, added as an AWS SDK v3 client middleware. Unlike monkey-patching
 * instrumentation, this keeps working when the function is bundled. It wraps all of the SDK's retries.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SpanKind, withSpan } from './span.js';

interface DynamoInput {
  TableName?: string;
  RequestItems?: Record<string, unknown>;
  TransactItems?: Array<Record<string, { TableName?: string } | undefined>>;
}

export function tableNamesOf(input: DynamoInput | undefined): string[] {
  const names = new Set<string>();
  if (input?.TableName) names.add(input.TableName);
  for (const name of Object.keys(input?.RequestItems ?? {})) names.add(name);
  for (const item of input?.TransactItems ?? []) {
    for (const part of Object.values(item)) if (part?.TableName) names.add(part.TableName);
  }
  return [...names];
}

export function traceDynamoDbClient(client: DynamoDBClient): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      return withSpan(
        `DynamoDB.${operation}`,
        {
          'db.system': 'dynamodb',
          'db.system.name': 'aws.dynamodb',
          'db.operation': operation,
          'db.operation.name': operation,
          'aws.dynamodb.table_names': tableNamesOf(args.input as DynamoInput),
          'rpc.system': 'aws-api',
          'rpc.service': 'DynamoDB',
          'rpc.method': operation,
        },
        async (span) => {
          const result = await next(args);
          const metadata = (result.output as { $metadata?: { attempts?: number; requestId?: string } }).$metadata;
          if (metadata?.attempts !== undefined) span.setAttributes({ 'aws.dynamodb.attempts': metadata.attempts });
          if (metadata?.requestId) span.setAttributes({ 'aws.request_id': metadata.requestId });
          return result;
        },
        SpanKind.CLIENT,
      );
    },
    { step: 'initialize', name: 'kratosTracing', override: true },
  );
}
