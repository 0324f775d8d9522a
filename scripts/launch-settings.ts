/**
 * What `npm start` reads before it starts anything: its own settings (PORT, HOST, DYNAMODB_LOCAL_PATH,
 * DYNAMODB_LOCAL_PORT) and the functions' whole configuration, checked with the same code the functions run at
 * their cold start. A bad value stops the launcher with one line naming the variable; nothing is left running.
 */
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import path from 'node:path';
import { loadAdminConfig } from '../lib/config/admin.js';
import { ConfigError, readInteger, readOptionalString, readString, type Env } from '../lib/config/env.js';
import { checkConfig } from '../lib/config/index.js';
import { parameterVariable } from '../lib/config/secrets.js';
import { checkHooks } from '../lib/hooks/index.js';
import { schemaFilePath } from '../lib/identity/schemas.js';
import { checkMethods } from '../lib/strategies/index.js';

export interface LaunchSettings {
  host: string;
  port: number;
  /** Absolute; undefined = DynamoDB Local in memory. */
  dataPath?: string;
  dynamoLocalPort?: number;
  /** What the functions get on top of the environment. */
  functionEnv: Record<string, string>;
  /** Set when no admin key was configured and one was made up for this run. */
  generatedAdminKey?: string;
  /** Whether a cookie secret was made up for this run (browser sessions then end when npm start stops). */
  generatedCookieSecret: boolean;
}

/**
 * Reads and checks everything. Relative paths are relative to where the user ran `npm start` (npm runs scripts
 * from the project root and says where it was invoked in INIT_CWD).
 */
export function readLaunchSettings(env: Env, invokedFrom = env.INIT_CWD || process.cwd()): LaunchSettings {
  const port = readInteger(env, 'PORT', 4433, 1, 65535);
  const host = readString(env, 'HOST', '127.0.0.1');
  const dynamoLocalPort = env.DYNAMODB_LOCAL_PORT?.trim() ? readInteger(env, 'DYNAMODB_LOCAL_PORT', 0, 1, 65535) : undefined;
  const rawDataPath = readOptionalString(env, 'DYNAMODB_LOCAL_PATH');
  const dataPath = rawDataPath === undefined ? undefined : path.resolve(invokedFrom, rawDataPath);
  // The admin API fails closed without a key; for local use, make one up and show it.
  const generatedAdminKey =
    readOptionalString(env, 'ADMIN_API_KEY') || readOptionalString(env, 'ADMIN_API_KEY_SSM_PARAMETER') ? undefined : randomBytes(24).toString('base64url');
  // Browser sessions are sealed with secrets.cookie; without one, make one up for this run, as for the admin key.
  const generatedCookieSecret = ['SECRETS_COOKIE', 'SECRETS_DEFAULT'].every((name) => !readOptionalString(env, name) && !readOptionalString(env, parameterVariable(name)));
  const functionEnv: Record<string, string> = {
    SERVE_PUBLIC_BASE_URL: readOptionalString(env, 'SERVE_PUBLIC_BASE_URL') ?? `http://127.0.0.1:${port}`,
    ...(generatedAdminKey ? { ADMIN_API_KEY: generatedAdminKey } : {}),
    ...(generatedCookieSecret ? { SECRETS_COOKIE: randomBytes(32).toString('base64url') } : {}),
    // Recovery and verification on by default locally (the local inbox shows their mail), as Kratos's quickstart.
    SELFSERVICE_FLOWS_RECOVERY_ENABLED: readOptionalString(env, 'SELFSERVICE_FLOWS_RECOVERY_ENABLED') ?? 'true',
    SELFSERVICE_FLOWS_VERIFICATION_ENABLED: readOptionalString(env, 'SELFSERVICE_FLOWS_VERIFICATION_ENABLED') ?? 'true',
  };
  const effective = { ...env, ...functionEnv };
  // Secrets named by *_SSM_PARAMETER are read by the functions themselves (the AWS SDK's credentials and endpoint, e.g.
  // AWS_ENDPOINT_URL_SSM, reach them); here everything else is checked, their parameter names included.
  const config = checkConfig(effective);
  // What a cold start checks once the flows are built: every method and hook switched on is one this build has.
  checkMethods(config.selfservice.enabledMethods);
  checkHooks(config.selfservice);
  // Social sign-in's file:// mappers are read by the functions at first use; here a missing one is named at once.
  for (const { id, mapperUrl } of config.oidc.providers) {
    if (mapperUrl.startsWith('file://') && !existsSync(schemaFilePath(mapperUrl))) {
      throw new ConfigError(`SELFSERVICE_METHODS_OIDC_CONFIG_PROVIDERS: provider "${id}": mapper_url ${mapperUrl} names no file (relative to ${process.cwd()})`);
    }
  }
  for (const { name, claimsMapperUrl } of Object.values(config.tokenizer.templates)) {
    if (claimsMapperUrl?.startsWith('file://') && !existsSync(schemaFilePath(claimsMapperUrl))) {
      throw new ConfigError(`SESSION_WHOAMI_TOKENIZER_TEMPLATES: template "${name}": claims_mapper_url ${claimsMapperUrl} names no file (relative to ${process.cwd()})`);
    }
  }
  loadAdminConfig(effective);
  return { host, port, dataPath, dynamoLocalPort, functionEnv, generatedAdminKey, generatedCookieSecret };
}

export class PortInUseError extends Error {
  override name = 'PortInUseError';
}

/** Fails fast, before Java starts, when something already listens where the API (or DynamoDB Local) would. */
export function assertPortFree(host: string, port: number, variable: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(new PortInUseError(`Port ${port} on ${host} is already in use: stop what listens there, or set ${variable} to another port.`));
      } else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND' || error.code === 'EACCES') {
        reject(new ConfigError(`HOST ${host} with ${variable}=${port} cannot be listened on here (${error.code}).`));
      } else {
        reject(error);
      }
    });
    server.listen(port, host, () => server.close(() => resolve()));
  });
}
