/** The configuration every test runs with: bcrypt at its floor (cost 4) so the suite stays fast. */
export const TEST_ENV = {
  HASHERS_BCRYPT_COST: '4',
  DYNAMODB_TABLE_NAME: 'kratos-test',
  AWS_REGION: 'us-east-1',
  ADMIN_API_KEY: 'test-admin-key-0123456789abcdef',
  SECRETS_COOKIE: 'test-cookie-secret-0123456789abcdef',
  // In-process handlers stay quiet in Jest's output; serverless-offline instances log (captured, not shown).
  LOG_LEVEL: 'silent',
};

export const OFFLINE_LOG_LEVEL = 'info';

export function baseUrl(): string {
  const url = process.env.TEST_BASE_URL;
  if (!url) throw new Error('TEST_BASE_URL is not set: the Jest global setup did not run');
  return url;
}

export function dynamoEndpoint(): string {
  const endpoint = process.env.TEST_DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('TEST_DYNAMODB_ENDPOINT is not set: the Jest global setup did not run');
  return endpoint;
}
