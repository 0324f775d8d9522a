/**
 * The secrets: every configuration value that is a credential, in one list. Each is given either as its variable or
 * as `<NAME>_SSM_PARAMETER`, the name of an SSM Parameter Store parameter holding it (a SecureString is decrypted),
 * which a function reads once per cold start, before anything uses the value (`configReady` in index.ts). Both at
 * once is refused, naming both.
 *
 * A new secret is one entry here; its reader stays in its area's file (browser.ts, courier.ts, ...), and
 * test/e2e/deployment.test.ts then asks for the modules that use its value and for the serverless.yml lines that
 * give it (and the IAM grant on its parameter) to exactly the functions whose bundles hold those modules.
 */
import { ConfigError, readOptionalString, type Env } from './env.js';

export interface Secret {
  name: string;
  /** Which configuration reads it: the one every function reads (index.ts), or the admin functions' own (admin.ts). */
  readBy: 'config' | 'admin';
  /**
   * What stands in for the value in the checks a cold start makes before its parameter is read (a value those checks
   * accept); the value itself is checked by the same code once read. Never used for anything else.
   */
  standIn: string;
}

const STAND_IN_SECRET = 'parameter-store-stand-in-0123456789';

export const SECRETS: readonly Secret[] = [
  { name: 'SECRETS_COOKIE', readBy: 'config', standIn: STAND_IN_SECRET },
  { name: 'SECRETS_DEFAULT', readBy: 'config', standIn: STAND_IN_SECRET },
  { name: 'COURIER_SMTP_CONNECTION_URI', readBy: 'config', standIn: 'smtp://parameter-store.invalid/' },
  { name: 'TRACING_PROVIDERS_OTLP_AUTHORIZATION_HEADER', readBy: 'config', standIn: STAND_IN_SECRET },
  { name: 'ADMIN_API_KEY', readBy: 'admin', standIn: STAND_IN_SECRET },
  { name: 'SELFSERVICE_METHODS_OIDC_CONFIG_CLIENT_SECRETS', readBy: 'config', standIn: '{}' },
  // Exactly 32 characters, as its check wants.
  { name: 'SECRETS_CIPHER', readBy: 'config', standIn: 'parameter-store-stand-in-0123456' },
  // The session tokenizer's templates: their key sets (base64://) hold the signing keys. Until read, no template.
  { name: 'SESSION_WHOAMI_TOKENIZER_TEMPLATES', readBy: 'config', standIn: '{}' },
  // Web hooks' api keys and passwords by hook id.
  { name: 'SELFSERVICE_WEB_HOOK_SECRETS', readBy: 'config', standIn: '{}' },
];

const PARAMETER_SUFFIX = '_SSM_PARAMETER';

export const parameterVariable = (secret: string): string => `${secret}${PARAMETER_SUFFIX}`;

/** A Parameter Store name: `/a/b/c` (a hierarchy) or a plain `name`. */
const PARAMETER_NAME = /^(\/[A-Za-z0-9_.-]+)+$|^[A-Za-z0-9_.-]+$/;

/**
 * The secrets `env` takes from Parameter Store (`readBy` one configuration or the other): secret name -> parameter name.
 * A bad parameter name, or a secret given both ways, is a ConfigError naming the variables.
 */
export function secretParameters(env: Env, readBy?: Secret['readBy']): Map<string, string> {
  const parameters = new Map<string, string>();
  for (const { name, readBy: reader } of SECRETS) {
    if (readBy !== undefined && reader !== readBy) continue;
    const variable = parameterVariable(name);
    const parameter = readOptionalString(env, variable);
    if (parameter === undefined) continue;
    if (readOptionalString(env, name) !== undefined) {
      throw new ConfigError(`${name} and ${variable} are both set: set one (on AWS, the parameter)`);
    }
    if (!PARAMETER_NAME.test(parameter)) {
      throw new ConfigError(`${variable} must be a Parameter Store name such as /kratos/${name.toLowerCase().replace(/_/g, '-')}, got "${parameter}"`);
    }
    parameters.set(name, parameter);
  }
  return parameters;
}

/** `env` with each secret of `parameters` set to `valueOf(secret)` in place of its parameter's variable. */
export function withSecretValues(env: Env, parameters: Map<string, string>, valueOf: (secret: string, parameter: string) => string | undefined): Env {
  const out: Env = { ...env };
  for (const [name, parameter] of parameters) {
    delete out[parameterVariable(name)];
    out[name] = valueOf(name, parameter);
  }
  return out;
}

/** `env` with stand-ins for the secrets still in Parameter Store: what a cold start checks before reading them. */
export function withStandIns(env: Env, parameters = secretParameters(env)): Env {
  return withSecretValues(env, parameters, (name) => SECRETS.find((secret) => secret.name === name)!.standIn);
}

export interface ParameterReader {
  /** A parameter's value (decrypted); undefined when it has none. Throws when it cannot be read (missing included). */
  read(name: string): Promise<string | undefined>;
}

/**
 * Reads parameters with the AWS SDK's SSM client, loaded only now (Lambda's runtime ships it; bundles leave it out).
 * Its endpoint is the SDK's: AWS_ENDPOINT_URL_SSM (or AWS_ENDPOINT_URL) when set, else the region's.
 */
export async function ssmParameterReader(region: string): Promise<ParameterReader> {
  const { SSMClient, GetParameterCommand } = await import('@aws-sdk/client-ssm');
  const client = new SSMClient({ region, maxAttempts: 3 });
  return {
    read: async (name) => (await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter?.Value,
  };
}

/** Why a parameter could not be read, for the log: the variable naming it and the SDK's error name, never a value. */
export class SecretReadError extends Error {
  override name = 'SecretReadError';
}

/**
 * Reads every parameter of `parameters` (at once): secret name -> value. A read that fails, for whatever reason, is a
 * SecretReadError naming the variable and the parameter.
 */
export async function readSecretParameters(parameters: Map<string, string>, reader: ParameterReader): Promise<Map<string, string | undefined>> {
  // Every read settles before the answer: none is left running into the next invocation.
  const reads = await Promise.allSettled([...parameters].map(async ([name, parameter]) => [name, (await reader.read(parameter))?.trim()] as const));
  const values = new Map<string, string | undefined>();
  for (const [index, [name, parameter]] of [...parameters].entries()) {
    const read = reads[index];
    if (read.status === 'fulfilled') {
      values.set(name, read.value[1]);
    } else {
      const reason = read.reason instanceof Error ? read.reason.name : 'Error';
      throw new SecretReadError(`${parameterVariable(name)}: the parameter "${parameter}" could not be read (${reason})`);
    }
  }
  return values;
}
