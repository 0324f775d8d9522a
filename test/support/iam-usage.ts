/**
 * The DynamoDB calls the functions really made, read from the spans the end-to-end suite exported (each
 * `DynamoDB.<Operation>` span carries its function's `faas.name`, `kratos-lambda-<stage>-<function>` under
 * serverless-offline), held to what serverless.yml lets each function's role do. The global teardown runs it over
 * every span of the run: a call the role does not allow would be AccessDenied on AWS.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** What IAM checks for each operation (a transaction is allowed item by item, whichever kinds it writes). */
const IAM_ACTIONS: Record<string, string[]> = {
  TransactWriteItems: ['PutItem', 'UpdateItem', 'DeleteItem', 'ConditionCheckItem'],
  TransactGetItems: ['GetItem'],
};

/** Function (serverless.yml's key) -> the DynamoDB operations its spans show. */
export function dynamoCallsOf(spanLines: Iterable<string>): Map<string, Set<string>> {
  const calls = new Map<string, Set<string>>();
  for (const line of spanLines) {
    const operation = /"(?:operationName|name)":"DynamoDB\.(\w+)"/.exec(line)?.[1];
    const fn = /"faas\.name"[^}]*?"kratos-lambda-[A-Za-z0-9]+-(\w+)"/.exec(line)?.[1];
    if (!operation || !fn) continue;
    if (!calls.has(fn)) calls.set(fn, new Set());
    calls.get(fn)!.add(operation);
  }
  return calls;
}

export interface Grants {
  /** Function -> its role. */
  roleOf: Map<string, string>;
  /** Role -> the DynamoDB actions it allows on the table (`GetItem`) and on its indexes (`Query@index`). */
  actions: Map<string, Set<string>>;
}

/** serverless.yml read as serverless reads it (its YAML loader, with CloudFormation's tags). */
export function grantsOf(serverlessYml: string): Grants {
  const require = createRequire(createRequire(import.meta.url).resolve('serverless/package.json'));
  const yaml = require('js-yaml');
  const schema = require('./lib/utils/serverless-utils/cloudformation-schema.js');
  const config = yaml.load(serverlessYml, { schema }) as Json;
  const roleOf = new Map<string, string>(Object.entries<Json>(config.functions).map(([fn, definition]) => [fn, definition.role]));
  const actions = new Map<string, Set<string>>();
  for (const role of new Set(roleOf.values())) {
    const allowed = new Set<string>();
    for (const policy of config.resources.Resources[role].Properties.Policies) {
      for (const statement of policy.PolicyDocument.Statement) {
        if (statement['Fn::If'] || statement.Effect !== 'Allow') continue;
        const onIndexes = JSON.stringify(statement.Resource).includes('"index"');
        for (const action of [statement.Action].flat() as string[]) {
          if (action.startsWith('dynamodb:')) allowed.add(`${action.slice('dynamodb:'.length)}${onIndexes ? '@index' : ''}`);
        }
      }
    }
    actions.set(role, allowed);
  }
  return { roleOf, actions };
}

/** What IAM would check for `operation` (Query: on an index; the table has no sort key to query). */
export function actionsFor(operation: string): string[] {
  if (operation === 'Query') return ['Query@index'];
  return IAM_ACTIONS[operation] ?? [operation];
}

/** Every call a function made that its role does not allow, as a sentence. */
export function ungrantedCalls(calls: Map<string, Set<string>>, grants: Grants): string[] {
  const problems: string[] = [];
  for (const [fn, operations] of calls) {
    const role = grants.roleOf.get(fn);
    if (!role) {
      problems.push(`${fn}: made DynamoDB calls but is no function of serverless.yml`);
      continue;
    }
    for (const operation of operations) {
      const missing = actionsFor(operation).filter((action) => !grants.actions.get(role)!.has(action));
      if (missing.length > 0) problems.push(`${fn} called DynamoDB.${operation}, which its role ${role} does not allow (${missing.join(', ')})`);
    }
  }
  return problems;
}

/** Role -> the DynamoDB actions it allows that none of its functions needed in these calls (a partial run shows many). */
export function uncalledGrants(calls: Map<string, Set<string>>, grants: Grants): Map<string, string[]> {
  const uncalled = new Map<string, string[]>();
  for (const [role, allowed] of grants.actions) {
    const used = new Set([...calls].filter(([fn]) => grants.roleOf.get(fn) === role).flatMap(([, operations]) => [...operations].flatMap(actionsFor)));
    // The stream's actions are Lambda's (its event source mapping polls with the function's role), never a call.
    const unused = [...allowed].filter((action) => !used.has(action) && !/^(DescribeStream|GetRecords|GetShardIterator|ListStreams)$/.test(action));
    if (unused.length > 0) uncalled.set(role, unused);
  }
  return uncalled;
}

/** The check over a run's span files. */
export function checkDynamoGrants(spanFiles: string[], serverlessYmlPath: string): { problems: string[]; functions: number; uncalled: Map<string, string[]> } {
  const calls = dynamoCallsOf(spanFiles.flatMap((file) => readFileSync(file, 'utf8').split('\n')));
  const grants = grantsOf(readFileSync(serverlessYmlPath, 'utf8'));
  return { problems: ungrantedCalls(calls, grants), functions: calls.size, uncalled: uncalledGrants(calls, grants) };
}
