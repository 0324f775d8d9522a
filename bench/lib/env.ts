/** What every benchmark process runs with, and where things are. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (this file is dist/bench/lib/env.js once built). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const DIST = path.join(ROOT, 'dist');
export const WORKER = path.join(DIST, 'bench', 'worker.js');
export const TABLE = 'kratos-bench';
export const PASSWORD = 'correct horse battery staple 42';

/** The functions' configuration in every worker: bcrypt at its floor, quiet logs, this run's DynamoDB Local. */
export function functionEnv(dynamoEndpoint: string): Record<string, string> {
  return {
    HASHERS_BCRYPT_COST: '4',
    LOG_LEVEL: 'silent',
    ADMIN_API_KEY: 'bench-admin-key-0123456789abcdef-0123',
    DYNAMODB_ENDPOINT: dynamoEndpoint,
    DYNAMODB_TABLE_NAME: TABLE,
    AWS_REGION: 'us-east-1',
    SERVE_PUBLIC_BASE_URL: 'https://id.example.com',
    TRACING_SERVICE_NAME: 'kratos',
    // The benchmarks count DynamoDB round trips and time our own code; a breach lookup would time the network.
    SELFSERVICE_METHODS_PASSWORD_CONFIG_HAVEIBEENPWNED_ENABLED: 'false',
    // The recovery benchmark asks for hundreds of codes for one address from one client: the mail bounds (issue 20)
    // still count each request, but never refuse one here.
    SELFSERVICE_METHODS_CODE_CONFIG_MAX_SENDS_PER_ADDRESS: '1000000',
    SELFSERVICE_METHODS_CODE_CONFIG_MAX_REQUESTS_PER_IP: '1000000',
  };
}
