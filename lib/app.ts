/**
 * The composition root: configuration, storage, hashing and the flows wired together, each piece built at its
 * first use and once per cold start (nothing in lib/ imports this file). A function asks only for what it uses
 * (`appSessions()`, `appLogin()`, ...), and since each of those reaches only its own factories, a bundle keeps only
 * that: whoami's holds no bcrypt, no flows, no admin code. A function that never touches DynamoDB (health/alive)
 * never builds a client. `createApp` wires everything at once over a given store (tests, benchmarks).
 */
import { getConfig, type Config } from './config/index.js';
import { createCodeFlows, type CodeFlowType } from './flows/code-flows.js';
import { createLoginFlows } from './flows/login.js';
import { createBrowserLogout } from './flows/logout.js';
import { createRegistrationFlows } from './flows/registration.js';
import { createSettingsFlows } from './flows/settings.js';
import { createBcryptHasher } from './hashing/bcrypt.js';
import { createIdentityAdmin } from './identity/admin-service.js';
import { createPasswordPolicy } from './identity/password-policy.js';
import { builtinSchema, SchemaRegistry } from './identity/schema.js';
import { loadSchemaRegistry } from './identity/schemas.js';
import { createSessionAdmin } from './session/admin-service.js';
import { createSessionService } from './session/service.js';
import { createDynamoClient } from './store/dynamodb/client.js';
import { createSessionRepository } from './store/dynamodb/session-repository.js';
import { createDynamoStore, type Store } from './store/dynamodb/store.js';
import { tableReads } from './store/dynamodb/toolkit.js';

/** One configuration, store and set of identity schemas, and what has been built over them. */
interface Base {
  config: Config;
  store: Store;
  schemas: SchemaRegistry;
  built: Map<string, unknown>;
}

const once = <T>(base: Base, name: string, make: () => T): T => {
  if (!base.built.has(name)) base.built.set(name, make());
  return base.built.get(name) as T;
};

const hasherOf = (b: Base) => once(b, 'hasher', () => createBcryptHasher(b.config.bcryptCost));
const passwordPolicyOf = (b: Base) =>
  once(b, 'passwordPolicy', () => createPasswordPolicy({ minLength: b.config.minPasswordLength, identifierSimilarityCheck: b.config.identifierSimilarityCheck }));
const sessionServiceOf = (b: Base) => once(b, 'sessionService', () => createSessionService(b.store.sessions, b.config));
const flowDepsOf = (b: Base) => ({
  flows: b.store.flows,
  errors: b.store.errors,
  schemas: b.schemas,
  publicBaseUrl: b.config.publicBaseUrl,
  browser: b.config.browser,
  sessionService: sessionServiceOf(b),
  hasher: hasherOf(b),
});
const loginOf = (b: Base) =>
  once(b, 'login', () =>
    createLoginFlows({
      ...flowDepsOf(b),
      lifespanMs: b.config.loginFlowLifespanMs,
      // Counter keys are HMACs with the first server secret there is (SECRETS_DEFAULT, else the cookie secret).
      throttle: { repository: b.store.throttle, config: b.config.loginThrottle, keySecret: b.config.recovery.codeSecrets[0] ?? b.config.browser.cookieSecrets[0] },
    }),
  );
const codeFlowsOf = (b: Base, type: CodeFlowType) =>
  once(b, type, () =>
    createCodeFlows(
      {
        ...flowDepsOf(b),
        identities: b.store.identities,
        sessions: b.store.sessions,
        recovery: b.config.recovery,
        settingsLifespanMs: b.config.settingsFlowLifespanMs,
        privilegedMaxAgeMs: b.config.privilegedSessionMaxAgeMs,
      },
      type,
    ),
  );
const recoveryOf = (b: Base) => codeFlowsOf(b, 'recovery');
const verificationOf = (b: Base) => codeFlowsOf(b, 'verification');
const registrationOf = (b: Base) =>
  once(b, 'registration', () =>
    createRegistrationFlows({
      ...flowDepsOf(b),
      passwordPolicy: passwordPolicyOf(b),
      lifespanMs: b.config.registrationFlowLifespanMs,
      ...(b.config.recovery.verificationEnabled ? { verification: verificationOf(b) } : {}),
    }),
  );
const settingsOf = (b: Base) =>
  once(b, 'settings', () =>
    createSettingsFlows({
      ...flowDepsOf(b),
      identities: b.store.identities,
      sessions: b.store.sessions,
      passwordPolicy: passwordPolicyOf(b),
      lifespanMs: b.config.settingsFlowLifespanMs,
      privilegedMaxAgeMs: b.config.privilegedSessionMaxAgeMs,
      ...(b.config.recovery.verificationEnabled ? { verification: verificationOf(b) } : {}),
    }),
  );
const logoutOf = (b: Base) =>
  once(b, 'logout', () => createBrowserLogout({ browser: b.config.browser, errors: b.store.errors, publicBaseUrl: b.config.publicBaseUrl, sessionService: sessionServiceOf(b) }));
const identityAdminOf = (b: Base) =>
  once(b, 'identityAdmin', () => createIdentityAdmin({ identities: b.store.identities, sessions: b.store.sessions, schemas: b.schemas, hasher: hasherOf(b) }));
const sessionAdminOf = (b: Base) =>
  once(b, 'sessionAdmin', () => createSessionAdmin({ sessions: b.store.sessions, identities: b.store.identities, sessionLifespanMs: b.config.sessionLifespanMs }));

/**
 * Everything, wired at once over `store` (by default DynamoDB as configured) and `schemas` (by default the built-in
 * schema; tests of configured schemas load theirs with loadSchemaRegistry).
 */
export function createApp(
  config: Config,
  store: Store = createDynamoStore(createDynamoClient(config.dynamodb), config.dynamodb.tableName),
  schemas: SchemaRegistry = new SchemaRegistry([builtinSchema()], 'default'),
) {
  const base: Base = { config, store, schemas, built: new Map() };
  return {
    config,
    store,
    schemas,
    sessionService: sessionServiceOf(base),
    login: loginOf(base),
    registration: registrationOf(base),
    settings: settingsOf(base),
    recovery: recoveryOf(base),
    verification: verificationOf(base),
    logout: logoutOf(base),
    identityAdmin: identityAdminOf(base),
    sessionAdmin: sessionAdminOf(base),
  };
}
export type App = ReturnType<typeof createApp>;

// This cold start's pieces. Sessions are built on their repository alone: whoami and logout, which need nothing
// else, then bundle none of the other repositories (nor the DynamoDB commands only they send).
let dynamo: { client: ReturnType<typeof createDynamoClient>; table: string } | undefined;
let store: Store | undefined;
let sessions: ReturnType<typeof createSessionService> | undefined;
let base: Base | undefined;

const coldDynamo = () => {
  if (!dynamo) {
    const { dynamodb } = getConfig();
    dynamo = { client: createDynamoClient(dynamodb), table: dynamodb.tableName };
  }
  return dynamo;
};

export const appConfig = (): Config => getConfig();

export const appStore = (): Store => (store ??= createDynamoStore(coldDynamo().client, coldDynamo().table));

export function appSessions() {
  if (!sessions) {
    const { client, table } = coldDynamo();
    sessions = createSessionService(createSessionRepository(client, table, tableReads(client, table)), getConfig());
  }
  return sessions;
}

let schemas: Promise<SchemaRegistry> | undefined;
/**
 * This cold start's identity schemas, loaded once (an `https://` one fetched then); a load that fails is retried by
 * the next request, and its ConfigError names the schema.
 */
export function appSchemas(): Promise<SchemaRegistry> {
  schemas ??= loadSchemaRegistry(getConfig().identity).catch((error: unknown) => {
    schemas = undefined;
    throw error;
  });
  return schemas;
}

const coldStart = async (): Promise<Base> => {
  const registry = await appSchemas();
  base ??= { config: getConfig(), store: appStore(), schemas: registry, built: new Map([['sessionService', appSessions()]]) };
  return base;
};

/**
 * A service whose every method first waits for the cold start (the identity schemas) and then calls the real one;
 * handlers call `appLogin().submit(...)` as if it were built already. Only for services whose methods all return
 * promises.
 */
function afterColdStart<T extends object>(make: (base: Base) => T): () => T {
  let ready: Promise<T> | undefined;
  const service = new Proxy({} as T, {
    get: (_, name) => async (...args: unknown[]) => {
      ready ??= coldStart().then(make).catch((error: unknown) => {
        ready = undefined;
        throw error;
      });
      const target = (await ready) as Record<string | symbol, (...a: unknown[]) => unknown>;
      return target[name](...args);
    },
  });
  return () => service;
}

export const appLogin = /* @__PURE__ */ afterColdStart(loginOf);
export const appRegistration = /* @__PURE__ */ afterColdStart(registrationOf);
export const appSettings = /* @__PURE__ */ afterColdStart(settingsOf);
export const appRecovery = /* @__PURE__ */ afterColdStart(recoveryOf);
export const appVerification = /* @__PURE__ */ afterColdStart(verificationOf);
export const appBrowserLogout = /* @__PURE__ */ afterColdStart(logoutOf);
export const appIdentityAdmin = /* @__PURE__ */ afterColdStart(identityAdminOf);
export const appErrors = () => appStore().errors;
let sessionAdmin: ReturnType<typeof createSessionAdmin> | undefined;
/** Session administration needs no identity schema: built without waiting for them. */
export const appSessionAdmin = () =>
  (sessionAdmin ??= createSessionAdmin({ sessions: appStore().sessions, identities: appStore().identities, sessionLifespanMs: getConfig().sessionLifespanMs }));
