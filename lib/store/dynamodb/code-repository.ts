/**
 * The code strategy's state on a recovery or verification flow item: the HMAC of the code outstanding (an attribute
 * of its own, so conditions can compare it), when it expires and whom it is for, and the submission count.
 */
import { UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CodesPerFlowExhaustedError, FlowAlreadyUsedError } from '../../errors/index.js';
import type { CodeRepository } from '../../strategies/code/repository.js';
import { codeAttributes, keys } from './items.js';
import { conditionally } from './toolkit.js';
import { transactionItems } from './transaction.js';

export function createCodeRepository(client: DynamoDBClient, table: string): CodeRepository {
  const tx = transactionItems(table);
  return {
    sendCode: (flowId, code, ui, now, maxSends) => {
      const attributes = codeAttributes(code);
      return tx.batch(
        tx.update(
          {
            Key: keys.flow(flowId),
            // Submissions are not reset by a resend (as Kratos's submit count): a new code buys no new guesses.
            UpdateExpression: 'SET #state = :sent, active = :code, code_hmac = :hmac, code = :data, submissions = if_not_exists(submissions, :zero), #ui = :ui ADD sends :one',
            ConditionExpression: 'attribute_exists(pk) AND (#state = :open OR #state = :sent) AND expires_at_ms > :now AND (attribute_not_exists(sends) OR sends < :maxSends)',
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
              ':one': { N: '1' },
              ':maxSends': { N: String(maxSends) },
            },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
          (old) => (Number(old?.sends?.N ?? 0) >= maxSends && old?.state?.S !== 'passed_challenge' ? new CodesPerFlowExhaustedError() : new FlowAlreadyUsedError()),
        ),
      );
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

    passChallenge: (flowId, codeHmac, now) =>
      tx.batch(
        tx.update(
          {
            Key: keys.flow(flowId),
            UpdateExpression: 'SET #state = :done REMOVE code_hmac, #ui',
            ConditionExpression: 'attribute_exists(pk) AND #state = :sent AND code_hmac = :hmac AND expires_at_ms > :now',
            ExpressionAttributeNames: { '#state': 'state', '#ui': 'ui' },
            ExpressionAttributeValues: { ':done': { S: 'passed_challenge' }, ':sent': { S: 'sent_email' }, ':hmac': { S: codeHmac }, ':now': { N: String(now.getTime()) } },
          },
          () => new FlowAlreadyUsedError(),
        ),
      ),
  };
}
