/**
 * The admin API key: ADMIN_API_KEY, or the SSM Parameter Store parameter named by ADMIN_API_KEY_SSM_PARAMETER
 * (a SecureString is decrypted), fetched once per cold start by the admin functions only.
 */
import { getConfig, type Config } from './index.js';

export interface ParameterReader {
  read(name: string): Promise<string | undefined>;
}

async function ssmReader(region: string): Promise<ParameterReader> {
  const { SSMClient, GetParameterCommand } = await import('@aws-sdk/client-ssm');
  const client = new SSMClient({ region, maxAttempts: 3 });
  return {
    read: async (name) => (await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter?.Value,
  };
}

export async function resolveAdminKey(
  config: Pick<Config, 'adminApiKey' | 'adminApiKeySsmParameter' | 'dynamodb'>,
  reader?: ParameterReader,
): Promise<string | undefined> {
  if (config.adminApiKey) return config.adminApiKey;
  if (!config.adminApiKeySsmParameter) return undefined;
  const value = (await (reader ?? (await ssmReader(config.dynamodb.region))).read(config.adminApiKeySsmParameter))?.trim();
  // A key too short to be a secret counts as none: the admin API stays closed.
  return value && value.length >= 16 ? value : undefined;
}

let cached: Promise<string | undefined> | undefined;

/** This cold start's admin key; a failed SSM read is retried by the next request instead of being cached. */
export function adminKey(): Promise<string | undefined> {
  cached ??= resolveAdminKey(getConfig()).catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}
