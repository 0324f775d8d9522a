/** Self-service flows in DynamoDB, with the reads and writes that complete them. */
import { randomUUID } from 'node:crypto';
import { BatchGetItemCommand, PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConcurrentUpdateError, FlowAlreadyUsedError } from '../../errors/index.js';
import type { FlowRepository } from '../../flows/repository.js';
import type { Identity } from '../../identity/model.js';
import { claimToLoginCredential, codeAttributes, flowToItem, itemToFlow, keys, messageToItem, sessionToItem, type Item } from './items.js';
import { identifiersOf, identityWrites } from './identity-repository.js';
import { call, conditionally, conditions, transact, transactionItems, untilProcessed, type Guarded, type TableReads } from './toolkit.js';

const sessionCollision = () => new Error('session id collision');
const flowCollision = () => new Error('flow id collision');
const messageCollision = () => new Error('message id collision');

export function createFlowRepository(client: DynamoDBClient, table: string, reads: TableReads): FlowRepository {
  const tx = transactionItems(table);
  /** A code flow passes its challenge once, with the code outstanding, before it expires; the code is spent. */
  const passChallenge = (flowId: string, codeHmac: string, now: Date): Guarded => ({
    write: {
      Update: {
        TableName: table,
        Key: keys.flow(flowId),
        UpdateExpression: 'SET #state = :done REMOVE code_hmac, #ui',
        ConditionExpression: 'attribute_exists(pk) AND #state = :sent AND code_hmac = :hmac AND expires_at_ms > :now',
        ExpressionAttributeNames: { '#state': 'state', '#ui': 'ui' },
        ExpressionAttributeValues: { ':done': { S: 'passed_challenge' }, ':sent': { S: 'sent_email' }, ':hmac': { S: codeHmac }, ':now': { N: String(now.getTime()) } },
      },
    },
    onConditionFailed: () => new FlowAlreadyUsedError(),
  });
  return {
    create: async (flow) => {
      await call(() => client.send(new PutItemCommand({ TableName: table, Item: flowToItem(flow), ...conditions.absent })));
    },

    get: async (id) => {
      const item = await reads.getItem(keys.flow(id));
      return item ? itemToFlow(item) : undefined;
    },

    markSucceeded: async (id, ui) => {
      await call(() =>
        client.send(
          new UpdateItemCommand({
            TableName: table,
            Key: keys.flow(id),
            UpdateExpression: 'SET #state = :success, #ui = :ui',
            ...conditions.present,
            ExpressionAttributeNames: { '#state': 'state', '#ui': 'ui' },
            ExpressionAttributeValues: { ':success': { S: 'success' }, ':ui': { S: JSON.stringify(ui) } },
          }),
        ),
      );
    },

    saveUi: async (id, ui) => {
      await call(() =>
        client.send(
          new UpdateItemCommand({
            TableName: table,
            Key: keys.flow(id),
            UpdateExpression: 'SET #ui = :ui',
            ...conditions.present,
            ExpressionAttributeNames: { '#ui': 'ui' },
            ExpressionAttributeValues: { ':ui': { S: JSON.stringify(ui) } },
          }),
        ),
      );
    },

    getForPasswordLogin: async (id, identifier) => {
      const flowKey = keys.flow(id);
      const claimKey = keys.identifier(identifier);
      const found: Item[] = [];
      await untilProcessed<Item>([flowKey, claimKey], async (pending) => {
        const out = await call(() => client.send(new BatchGetItemCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true } } })));
        found.push(...(out.Responses?.[table] ?? []));
        return out.UnprocessedKeys?.[table]?.Keys ?? [];
      });
      const flowItem = found.find((item) => item.pk.S === flowKey.pk.S);
      const claimItem = found.find((item) => item.pk.S === claimKey.pk.S);
      return { flow: flowItem ? itemToFlow(flowItem) : undefined, credential: claimItem ? claimToLoginCredential(claimItem) : undefined };
    },

    completeRegistration: (identity, { session, tokenHash }, { flowId, now }, after = {}) =>
      transact(client, [
        tx.completeFlow(flowId, now, () => new FlowAlreadyUsedError()),
        ...identityWrites(tx, identity),
        tx.put(sessionToItem(session, tokenHash), conditions.absent, sessionCollision),
        ...(after.flows ?? []).map((flow) => tx.put(flowToItem(flow), conditions.absent, flowCollision)),
        ...(after.messages ?? []).map((message) => tx.put(messageToItem(message), conditions.absent, messageCollision)),
      ]),

    setCsrfToken: async (flowId, maskedToken) => {
      await call(() =>
        client.send(
          new UpdateItemCommand({
            TableName: table,
            Key: keys.flow(flowId),
            UpdateExpression: 'SET csrf_token = :token',
            ...conditions.present,
            ExpressionAttributeValues: { ':token': { S: maskedToken } },
          }),
        ),
      );
    },

    sendCode: async (flowId, code, message, ui, now) => {
      const attributes = codeAttributes(code);
      const update: Guarded = {
        write: {
          Update: {
            TableName: table,
            Key: keys.flow(flowId),
            // Submissions are not reset by a resend (as Kratos's submit count): a new code buys no new guesses.
            UpdateExpression: 'SET #state = :sent, active = :code, code_hmac = :hmac, code = :data, submissions = if_not_exists(submissions, :zero), #ui = :ui',
            ConditionExpression: 'attribute_exists(pk) AND (#state = :open OR #state = :sent) AND expires_at_ms > :now',
            ExpressionAttributeNames: { '#state': 'state', '#ui': 'ui' },
            ExpressionAttributeValues: {
              ':sent': { S: 'sent_email' },
              ':open': { S: 'choose_method' },
              ':code': { S: 'code' },
              ':hmac': attributes.code_hmac,
              ':data': attributes.code,
              ':zero': { N: '0' },
              ':ui': { S: JSON.stringify(ui) },
              ':now': { N: String(now.getTime()) },
            },
          },
        },
        onConditionFailed: () => new FlowAlreadyUsedError(),
      };
      // No message (an address nobody has): a check of a message key that cannot exist stands in for its put, so
      // the transaction has as many items, and takes as long, either way.
      const second = message
        ? tx.put(messageToItem(message), conditions.absent, messageCollision)
        : tx.check(keys.message(randomUUID()), conditions.absent, messageCollision);
      await transact(client, [update, second]);
    },

    countSubmission: async (flowId, max) => {
      const counted = await conditionally(() =>
        client.send(
          new UpdateItemCommand({
            TableName: table,
            Key: keys.flow(flowId),
            UpdateExpression: 'ADD submissions :one',
            ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(submissions) OR submissions < :max)',
            ExpressionAttributeValues: { ':one': { N: '1' }, ':max': { N: String(max) } },
          }),
        ),
      );
      return counted !== undefined;
    },

    completeRecovery: (flowId, codeHmac, { session, tokenHash }, settings, now, identityChange) =>
      transact(client, [
        passChallenge(flowId, codeHmac, now),
        tx.put(sessionToItem(session, tokenHash), conditions.absent, sessionCollision),
        tx.put(flowToItem(settings), conditions.absent, flowCollision),
        ...(identityChange ? identityWrites(tx, identityChange.next, { previous: identityChange.previous }) : []),
      ]),

    updateIdentityWith: async (next, previous, after) => {
      const stored: Identity = { ...next, identifiers: [...new Set(identifiersOf(next))], revision: (previous.revision ?? 1) + 1 };
      if (stored.password && !stored.password.hashedPassword) throw new Error('an identity update must carry the password hash it keeps');
      await transact(client, [
        ...identityWrites(tx, stored, { previous }),
        ...(after.flows ?? []).map((flow) => tx.put(flowToItem(flow), conditions.absent, flowCollision)),
        ...(after.messages ?? []).map((message) => tx.put(messageToItem(message), conditions.absent, messageCollision)),
      ]);
      return stored;
    },

    completeVerification: (flowId, codeHmac, identity, previous, now) =>
      transact(client, [passChallenge(flowId, codeHmac, now), ...identityWrites(tx, identity, { previous })]),

    completeLogin: ({ session, tokenHash }, { flowId, now }, clearThrottleKey) =>
      transact(client, [
        tx.completeFlow(flowId, now, () => new FlowAlreadyUsedError()),
        tx.put(sessionToItem(session, tokenHash), conditions.absent, sessionCollision),
        // The identity login read (its claim's copy) is still the identity's current revision.
        tx.check(keys.identity(session.identityId), conditions.revision(session.identity.revision), () => new ConcurrentUpdateError()),
        // A successful login clears the identifier's failed attempts (in the same write: no extra call).
        ...(clearThrottleKey ? [{ write: { Delete: { TableName: table, Key: keys.throttle(clearThrottleKey) } }, onConditionFailed: () => new ConcurrentUpdateError() }] : []),
      ]),
  };
}
