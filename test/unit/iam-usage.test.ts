import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../scripts/local-stack.js';
import { dynamoCallsOf, grantsOf, ungrantedCalls } from '../support/iam-usage.js';

/** Spans as the receivers write them (Jaeger's process tags, OTLP's resource attributes). */
const jaeger = (fn: string, operation: string) =>
  JSON.stringify({ process: { serviceName: 'kratos', tags: [{ key: 'faas.name', vType: 'STRING', vStr: `kratos-lambda-dev-${fn}` }] }, span: { operationName: `DynamoDB.${operation}` } });
const otlp = (fn: string, operation: string) =>
  JSON.stringify({ resource: { attributes: [{ key: 'faas.name', value: { stringValue: `kratos-lambda-dev-${fn}` } }] }, span: { name: `DynamoDB.${operation}` } });

describe('the IAM check over exported spans', () => {
  const grants = grantsOf(readFileSync(path.join(PROJECT_ROOT, 'serverless.yml'), 'utf8'));

  it('reads which function made which DynamoDB call, whatever the format; spans of no function are not counted', () => {
    const calls = dynamoCallsOf([jaeger('whoami', 'GetItem'), otlp('loginSubmit', 'TransactWriteItems'), JSON.stringify({ span: { operationName: 'DynamoDB.Scan' } }), jaeger('whoami', 'GetItem')]);
    expect(calls).toEqual(new Map([['whoami', new Set(['GetItem'])], ['loginSubmit', new Set(['TransactWriteItems'])]]));
  });

  it('accepts what the roles allow and names every call they would refuse', () => {
    expect(ungrantedCalls(dynamoCallsOf([jaeger('whoami', 'GetItem'), jaeger('loginSubmit', 'TransactWriteItems'), jaeger('adminIdentitiesList', 'Query')]), grants)).toEqual([]);
    expect(ungrantedCalls(dynamoCallsOf([jaeger('whoami', 'UpdateItem'), jaeger('whoami', 'TransactWriteItems'), jaeger('healthAlive', 'Query'), jaeger('nope', 'GetItem')]), grants)).toEqual([
      'whoami called DynamoDB.UpdateItem, which its role PublicReaderRole does not allow (UpdateItem)',
      'whoami called DynamoDB.TransactWriteItems, which its role PublicReaderRole does not allow (PutItem, UpdateItem, DeleteItem, ConditionCheckItem)',
      'healthAlive called DynamoDB.Query, which its role PublicStatelessRole does not allow (Query@index)',
      'nope: made DynamoDB calls but is no function of serverless.yml',
    ]);
  });
});
