/** Creates the table from the one definition (`table.json`, also used by serverless.yml's resources). */
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import definition from './table.json' with { type: 'json' };

export function createTableInput(tableName: string): CreateTableCommandInput {
  const { TimeToLiveSpecification: _ttl, ...table } = definition;
  return { ...table, TableName: tableName } as CreateTableCommandInput;
}

/** Creates the table and enables TTL if it does not exist yet; returns whether it was created. */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return false;
  } catch (error) {
    if (!(error instanceof Error) || error.name !== 'ResourceNotFoundException') throw error;
  }
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName)));
  } catch (error) {
    if (error instanceof ResourceInUseException) return false;
    throw error;
  }
  await client.send(
    new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: definition.TimeToLiveSpecification }),
  );
  return true;
}
