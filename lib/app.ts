/**
 * The composition root: configuration, storage, identity schemas, methods, hooks and services wired together
 * (nothing in lib/ imports this file).
 *
 * - `createApp(config, store, schemas, options)` builds everything at once over a given store (tests, benchmarks).
 * - The functions use one accessor each (`appLogin()`, `appSessions()`, ...): built at its first use, once per cold
 *   start, from what that service needs alone. Each reaches only its own builders, so a bundle keeps only those:
 *   whoami's has no bcrypt, no flows, no admin code; a function that never touches DynamoDB (health/alive) never
 *   builds a client.
 */
import { createOwnSessions, type OwnSessions } from './session/own-sessions.js';
import { getAdminConfig } from './config/admin.js';
import { getConfig, type Config } from './config/index.js';
import type { FlowDeps } from './flows/common.js';
import type { SelfServiceErrorRepository } from './flows/errors.js';
import { createLoginFlows } from './flows/login.js';
import { createBrowserLogout } from './flows/logout.js';
import { createRecoveryFlows } from './flows/recovery.js';
import { createRegistrationFlows } from './flows/registration.js';
import { createSettingsFlows } from './flows/settings.js';
import { createTokenExchange } from './flows/token-exchange.js';
import type { Strategy } from './flows/strategy.js';
import { createLoginThrottle } from './flows/throttle.js';
import { createVerificationFlows } from './flows/verification.js';
import { createCourierAdmin } from './courier/admin.js';
import { createBcryptHasher } from './hashing/bcrypt.js';
import { createAdminAttempts, type AdminAttempts } from './http/admin.js';
import { createHookRunner } from './hooks/index.js';
import { passwordMigrationCheck } from './hooks/web-hook.js';
import { createTokenCipher } from './identity/cipher.js';
import { createIdentityAdmin } from './identity/admin-service.js';
import { createBreachCheck } from './identity/breached-passwords.js';
import { createPasswordPolicy, type PasswordCheck } from './identity/password-policy.js';
import { builtinSchema, SchemaRegistry } from './identity/schema.js';
import { loadSchemaRegistry } from './identity/schemas.js';
import { createSessionAdmin } from './session/admin-service.js';
import { createSessionService } from './session/service.js';
import { createTokenizer, type Tokenizer } from './session/tokenizer.js';
import { createDynamoClient } from './store/dynamodb/client.js';
import { createSessionRepository } from './store/dynamodb/session-repository.js';
import { createDynamoStore } from './store/dynamodb/store.js';
import { tableReads } from './store/dynamodb/toolkit.js';
import type { Store } from './store/store.js';
import { createRecoveryCodeAdmin } from './strategies/code/admin.js';
import { createVerificationSender } from './strategies/code/verification-sender.js';
import { createStrategies } from './strategies/index.js';
import { createOidcCallback } from './strategies/oidc/callback.js';
import { oidcClients } from './strategies/oidc/clients.js';

/** What every service is built over. */
interface Base {
  config: Config;
  store: Store;
  schemas: SchemaRegistry;
  /** Methods besides the built-in ones (a test's own). */
  extraStrategies: readonly Strategy[];
}

/** What a native app's session token is sealed with until its code exchange: SECRETS_DEFAULT, else the cookie secrets. */
const exchangeSecretsOf = (config: Config): string[] => (config.recovery.codeSecrets.length ? config.recovery.codeSecrets : config.browser.cookieSecrets);

let breachChecks: WeakMap<Config, PasswordCheck> | undefined;
/** The password policy; its breach lookup (with its cache and its once-per-cold-start log) is one per configuration. */
function passwordPolicyOf(config: Config) {
  const { breachCheck } = config;
  let extraChecks: PasswordCheck[] = [];
  if (breachCheck.enabled) {
    breachChecks ??= new WeakMap();
    let check = breachChecks.get(config);
    if (!check) {
      check = createBreachCheck(breachCheck);
      breachChecks.set(config, check);
    }
    extraChecks = [check];
  }
  return createPasswordPolicy({ minLength: config.minPasswordLength, identifierSimilarityCheck: config.identifierSimilarityCheck, extraChecks });
}

/** What the self-service flows share: the session service, the enabled methods, the hook runner. */
function flowParts(base: Base) {
  const { config, store } = base;
  const sessionService = createSessionService(store.sessions, config);
  const verification = config.recovery.verificationEnabled
    ? createVerificationSender({ config: config.recovery, publicBaseUrl: config.publicBaseUrl, flows: store.flows, courier: store.courier })
    : undefined;
  const webHooks = {
    publicBaseUrl: config.publicBaseUrl,
    secrets: () => config.selfservice.webHookSecrets,
    courier: store.courier,
    commit: store.commit,
    schemas: base.schemas,
  };
  const hooks = createHookRunner(config.selfservice, { sessionService, sessions: store.sessions, browser: config.browser, verification, webHooks, commit: store.commit });
  // Guessing-limit counter keys are HMACs with the first server secret there is (SECRETS_DEFAULT, else the cookie secret).
  const throttleSecret = config.recovery.codeSecrets[0] ?? config.browser.cookieSecrets[0];
  const throttle = createLoginThrottle(store.throttle, config.loginThrottle, throttleSecret);
  const strategies = createStrategies(
    config.selfservice.enabledMethods,
    {
      publicBaseUrl: config.publicBaseUrl,
      loginStyle: config.selfservice.loginStyle,
      registrationStyle: config.selfservice.registrationStyle,
      recovery: config.recovery,
      hasher: createBcryptHasher(config.bcryptCost),
      passwordPolicy: passwordPolicyOf(config),
      throttle,
      flows: store.flows,
      identities: store.identities,
      passwords: store.passwords,
      ...(config.passwordMigrationHook ? { passwordMigration: passwordMigrationCheck(webHooks, config.passwordMigrationHook) } : {}),
      codes: store.codes,
      throttleCounters: store.throttle,
      courier: store.courier,
      commit: store.commit,
      oidc: config.oidc,
      webauthn: config.webauthn,
      totpIssuer: config.aal.totpIssuer,
    },
    base.extraStrategies,
  );
  const deps: FlowDeps = { flows: store.flows, errors: store.errors, schemas: base.schemas, publicBaseUrl: config.publicBaseUrl, browser: config.browser, strategies };
  return { ...deps, sessionService, hooks, throttle, commit: store.commit };
}
type FlowParts = ReturnType<typeof flowParts>;

/**
 * Login and registration, each able to finish as the other (a social sign-in's unknown account registers on its login
 * flow; a known one signs in on its registration flow).
 */
function buildSignIn(base: Base, parts: FlowParts = flowParts(base)) {
  const registration = createRegistrationFlows({
    ...parts,
    identities: base.store.identities,
    lifespanMs: base.config.registrationFlowLifespanMs,
    profileFirst: base.config.selfservice.registrationStyle === 'profile_first',
    loginInstead: (flow, identity, used, request, now) => login.completeWith(flow, { identity }, { ...used, aal: 'aal1' }, request, now),
  });
  const login = createLoginFlows({
    ...parts,
    sessions: base.store.sessions,
    identities: base.store.identities,
    lifespanMs: base.config.loginFlowLifespanMs,
    identifierFirst: base.config.selfservice.loginStyle === 'identifier_first',
    whoamiRequiredAal: base.config.aal.whoamiRequiredAal,
    codeMfa: base.config.recovery.mfaEnabled,
    registerInstead: (flow, identity, used, request, now) => registration.completeWith(flow, identity, used, request, now),
  });
  return { login, registration };
}

const buildLogin = (base: Base, parts: FlowParts = flowParts(base)) => buildSignIn(base, parts).login;

const buildRegistration = (base: Base, parts: FlowParts = flowParts(base)) => buildSignIn(base, parts).registration;

const buildOidcCallback = (
  base: Base,
  parts: FlowParts = flowParts(base),
  { login, registration } = buildSignIn(base, parts),
  settings = buildSettings(base, parts),
) => {
  const { config, store } = base;
  return createOidcCallback({
    flowDeps: parts,
    config: config.oidc,
    ...oidcClients(config.oidc),
    identities: store.identities,
    login,
    registration,
    settings,
    loginLifespanMs: config.loginFlowLifespanMs,
    registrationLifespanMs: config.registrationFlowLifespanMs,
    exchangeSecrets: exchangeSecretsOf(config),
    tokenCipher: createTokenCipher(config.cipherSecrets),
  });
};

const buildSettings = (base: Base, parts: FlowParts = flowParts(base)) =>
  createSettingsFlows({
    ...parts,
    identities: base.store.identities,
    sessions: base.store.sessions,
    lifespanMs: base.config.settingsFlowLifespanMs,
    privilegedMaxAgeMs: base.config.privilegedSessionMaxAgeMs,
    requiredAal: base.config.aal.settingsRequiredAal,
    codeMfa: base.config.recovery.mfaEnabled,
  });

const buildRecovery = (base: Base, parts: FlowParts = flowParts(base)) =>
  createRecoveryFlows({
    ...parts,
    identities: base.store.identities,
    sessions: base.store.sessions,
    enabled: base.config.recovery.recoveryEnabled,
    use: base.config.recovery.recoveryUse,
    lifespanMs: base.config.recovery.recoveryLifespanMs,
    settingsLifespanMs: base.config.settingsFlowLifespanMs,
    privilegedMaxAgeMs: base.config.privilegedSessionMaxAgeMs,
  });

const buildVerification = (base: Base, parts: FlowParts = flowParts(base)) =>
  createVerificationFlows({
    ...parts,
    identities: base.store.identities,
    sessions: base.store.sessions,
    enabled: base.config.recovery.verificationEnabled,
    use: base.config.recovery.verificationUse,
    lifespanMs: base.config.recovery.verificationLifespanMs,
  });

const buildBrowserLogout = (base: Base, parts: FlowParts = flowParts(base)) =>
  createBrowserLogout({ browser: base.config.browser, errors: base.store.errors, publicBaseUrl: base.config.publicBaseUrl, sessionService: parts.sessionService });

const buildIdentityAdmin = (base: Base) =>
  createIdentityAdmin({
    identities: base.store.identities,
    sessions: base.store.sessions,
    commit: base.store.commit,
    commitEach: base.store.commitEach,
    schemas: base.schemas,
    hasher: createBcryptHasher(base.config.bcryptCost),
  });

const buildSessionAdmin = (store: Store, config: Config) => createSessionAdmin({ sessions: store.sessions, identities: store.identities, sessionLifespanMs: config.sessionLifespanMs });

const buildRecoveryCodeAdmin = (store: Store, config: Config) =>
  createRecoveryCodeAdmin({ config: config.recovery, publicBaseUrl: config.publicBaseUrl, flows: store.flows, identities: store.identities });

export interface AppOptions {
  /** Sign-in methods besides the built-in ones (they are served whatever the configuration says). */
  strategies?: Strategy[];
}

/**
 * Everything, wired at once over `store` (by default DynamoDB as configured) and `schemas` (by default the built-in
 * schema; tests of configured schemas load theirs with loadSchemaRegistry).
 */
export function createApp(
  config: Config,
  store: Store = createDynamoStore(createDynamoClient(config.dynamodb), config.dynamodb.tableName, { sessionLifespanMs: config.sessionLifespanMs }),
  schemas: SchemaRegistry = new SchemaRegistry([builtinSchema()], 'default'),
  options: AppOptions = {},
) {
  const base: Base = { config, store, schemas, extraStrategies: options.strategies ?? [] };
  const parts = flowParts(base);
  // One login and one registration, each able to finish as the other, and the callback that finishes both.
  const signIn = buildSignIn(base, parts);
  const settings = buildSettings(base, parts);
  return {
    config,
    store,
    schemas,
    strategies: parts.strategies,
    sessionService: parts.sessionService,
    login: signIn.login,
    registration: signIn.registration,
    settings,
    recovery: buildRecovery(base, parts),
    verification: buildVerification(base, parts),
    logout: buildBrowserLogout(base, parts),
    identityAdmin: buildIdentityAdmin(base),
    sessionAdmin: buildSessionAdmin(store, config),
    recoveryCodeAdmin: buildRecoveryCodeAdmin(store, config),
    courierAdmin: createCourierAdmin({ courier: store.courier }),
    oidcCallback: buildOidcCallback(base, parts, signIn, settings),
    ownSessions: createOwnSessions({ sessions: store.sessions, sessionService: parts.sessionService, whoamiRequiredAal: config.aal.whoamiRequiredAal, publicBaseUrl: config.publicBaseUrl }),
    tokenExchange: createTokenExchange({ flows: store.flows, sessionService: parts.sessionService, secrets: exchangeSecretsOf(config), publicBaseUrl: config.publicBaseUrl }),
    tokenizer: createTokenizer({ tokenizer: config.tokenizer, publicBaseUrl: config.publicBaseUrl }),
  };
}
export type App = ReturnType<typeof createApp>;

// This cold start's pieces, each built at its first use.

let dynamo: { client: ReturnType<typeof createDynamoClient>; table: string } | undefined;
const coldDynamo = () => {
  if (!dynamo) {
    const { dynamodb } = getConfig();
    dynamo = { client: createDynamoClient(dynamodb), table: dynamodb.tableName };
  }
  return dynamo;
};

export const appConfig = (): Config => getConfig();

let store: Store | undefined;
export const appStore = (): Store => (store ??= createDynamoStore(coldDynamo().client, coldDynamo().table, { sessionLifespanMs: getConfig().sessionLifespanMs }));

export const appErrors = (): SelfServiceErrorRepository => appStore().errors;

let sessions: ReturnType<typeof createSessionService> | undefined;
/**
 * Sessions built on their repository alone: whoami and logout, which need nothing else, then bundle none of the other
 * repositories (nor the DynamoDB commands only they send).
 */
export function appSessions() {
  if (!sessions) {
    const { client, table } = coldDynamo();
    sessions = createSessionService(createSessionRepository(client, table, tableReads(client, table), { sessionLifespanMs: getConfig().sessionLifespanMs }), getConfig());
  }
  return sessions;
}

let tokenizer: Tokenizer | undefined;
/** Session tokenization (whoami's `tokenize_as`): the templates' keys, imported at this cold start's configuration. */
export const appTokenizer = (): Tokenizer => (tokenizer ??= createTokenizer({ tokenizer: getConfig().tokenizer, publicBaseUrl: getConfig().publicBaseUrl }));

let ownSessions: OwnSessions | undefined;
/** A signed-in user's own sessions (GET and DELETE /sessions): the session reads and revocations only. */
export function appOwnSessions(): OwnSessions {
  if (!ownSessions) {
    const { client, table } = coldDynamo();
    const repository = createSessionRepository(client, table, tableReads(client, table), { sessionLifespanMs: getConfig().sessionLifespanMs });
    ownSessions = createOwnSessions({ sessions: repository, sessionService: appSessions(), whoamiRequiredAal: getConfig().aal.whoamiRequiredAal, publicBaseUrl: getConfig().publicBaseUrl });
  }
  return ownSessions;
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

const coldBase = async (): Promise<Base> => ({ config: getConfig(), store: appStore(), schemas: await appSchemas(), extraStrategies: [] });

let login: ReturnType<typeof buildLogin> | undefined;
export const appLogin = async () => (login ??= buildLogin(await coldBase()));

let registration: ReturnType<typeof buildRegistration> | undefined;
export const appRegistration = async () => (registration ??= buildRegistration(await coldBase()));

let tokenExchange: ReturnType<typeof createTokenExchange> | undefined;
/** The session token exchange needs flows and sessions alone. */
export const appTokenExchange = () =>
  (tokenExchange ??= createTokenExchange({ flows: appStore().flows, sessionService: appSessions(), secrets: exchangeSecretsOf(getConfig()), publicBaseUrl: getConfig().publicBaseUrl }));

let oidcCallback: ReturnType<typeof buildOidcCallback> | undefined;
export const appOidcCallback = async () => (oidcCallback ??= buildOidcCallback(await coldBase()));

let settings: ReturnType<typeof buildSettings> | undefined;
export const appSettings = async () => (settings ??= buildSettings(await coldBase()));

let recovery: ReturnType<typeof buildRecovery> | undefined;
export const appRecovery = async () => (recovery ??= buildRecovery(await coldBase()));

let verification: ReturnType<typeof buildVerification> | undefined;
export const appVerification = async () => (verification ??= buildVerification(await coldBase()));

let browserLogout: ReturnType<typeof buildBrowserLogout> | undefined;
export const appBrowserLogout = async () => (browserLogout ??= buildBrowserLogout(await coldBase()));

let identityAdmin: ReturnType<typeof buildIdentityAdmin> | undefined;
export const appIdentityAdmin = async () => (identityAdmin ??= buildIdentityAdmin(await coldBase()));

let sessionAdmin: ReturnType<typeof buildSessionAdmin> | undefined;
/** Session administration needs no identity schema: built without waiting for them. */
export const appSessionAdmin = () => (sessionAdmin ??= buildSessionAdmin(appStore(), getConfig()));

let adminAttempts: AdminAttempts | undefined;
/** Failed admin authentications per client address (counter keys are HMACs with the admin key itself). */
export const appAdminAttempts = (): AdminAttempts => (adminAttempts ??= createAdminAttempts(appStore().throttle, getAdminConfig().authFailuresPerMinute));

let courierAdmin: ReturnType<typeof createCourierAdmin> | undefined;
/** The courier's messages for the admin API: the message reads only. */
export const appCourierAdmin = () => (courierAdmin ??= createCourierAdmin({ courier: appStore().courier }));

let recoveryCodeAdmin: ReturnType<typeof buildRecoveryCodeAdmin> | undefined;
export const appRecoveryCodeAdmin = () => (recoveryCodeAdmin ??= buildRecoveryCodeAdmin(appStore(), getConfig()));

