/** The configuration every test runs with: bcrypt at its floor (cost 4) so the suite stays fast. */
export const TEST_ENV = {
  HASHERS_BCRYPT_COST: '4',
  DYNAMODB_TABLE_NAME: 'kratos-test',
  AWS_REGION: 'us-east-1',
  ADMIN_API_KEY: 'test-admin-key-0123456789abcdef-0123',
  SECRETS_COOKIE: 'test-cookie-secret-0123456789abcdef',
  // The suites send deliberate 401s from one address; the limit of 20 is tested alone (unit/admin-attempts).
  ADMIN_API_AUTH_FAILURES_PER_MINUTE: '1000',
  // No lookup leaves the machine: the suites that test breached passwords point this at a local range API.
  SELFSERVICE_METHODS_PASSWORD_CONFIG_HAVEIBEENPWNED_ENABLED: 'false',
  // In-process handlers stay quiet in Jest's output; serverless-offline instances log (captured, not shown).
  LOG_LEVEL: 'silent',
};

export const OFFLINE_LOG_LEVEL = 'info';

/**
 * The identity schemas the shared serverless-offline runs with, configured as an operator would: Kratos's quickstart
 * schema as the default, and a selectable customer schema (nested name, an enum, a boolean, a phone, an integer).
 */
export const SCHEMA_ENV = {
  IDENTITY_SCHEMAS: JSON.stringify([
    { id: 'default', url: 'file://kratos/identity.schema.json' },
    { id: 'customer', url: 'file://test/fixtures/customer.schema.json', selfservice_selectable: true },
  ]),
  IDENTITY_DEFAULT_SCHEMA_ID: 'default',
};

export function baseUrl(): string {
  const url = process.env.TEST_BASE_URL;
  if (!url) throw new Error('TEST_BASE_URL is not set: the Jest global setup did not run');
  return url;
}

/** The shared stack's twin with `SELFSERVICE_FLOWS_LOGIN_STYLE=identifier_first` and TOTP and lookup codes on. */
export function identifierFirstBaseUrl(): string {
  const url = process.env.TEST_IDENTIFIER_FIRST_BASE_URL;
  if (!url) throw new Error('TEST_IDENTIFIER_FIRST_BASE_URL is not set: the Jest global setup did not run');
  return url;
}

export function dynamoEndpoint(): string {
  const endpoint = process.env.TEST_DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('TEST_DYNAMODB_ENDPOINT is not set: the Jest global setup did not run');
  return endpoint;
}

/**
 * The suite's SMTP server, for every stack a suite starts on the shared table: each runs the courier's one-minute
 * sweep (serverless-offline schedules it), which claims whatever the queue holds, other suites' mail included. Without
 * an SMTP server, such a sweep failed another suite's message (SmtpNotConfiguredError) and its retry came 30 s later,
 * after that suite had stopped waiting for the mail; with the suite's, it delivers it where that suite looks. A suite
 * that tests a courier of its own sets COURIER_SMTP_CONNECTION_URI itself (its env comes after this).
 */
export function suiteCourierEnv(): Record<string, string> {
  const uri = process.env.TEST_SMTP_URI;
  return uri ? { COURIER_SMTP_CONNECTION_URI: uri } : {};
}
