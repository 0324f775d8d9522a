/**
 * Wires configuration, storage, hashing and the flows together, once per cold start (the composition root:
 * nothing below lib/ imports it). Handlers ask for the app lazily, so a function that never touches DynamoDB
 * (health/alive) never builds a client.
 */
import { getConfig, type Config } from './config/index.js';
import { createLoginFlows } from './flows/login.js';
import { createRegistrationFlows } from './flows/registration.js';
import { createSettingsFlows } from './flows/settings.js';
import { createBcryptHasher } from './hashing/bcrypt.js';
import { createIdentityAdmin } from './identity/admin-service.js';
import { createPasswordPolicy } from './identity/password-policy.js';
import { getDefaultSchema } from './identity/schema.js';
import { createSessionAdmin } from './session/admin-service.js';
import { createSessionService } from './session/service.js';
import { createDynamoClient } from './store/dynamodb/client.js';
import { createDynamoStore, type Store } from './store/dynamodb/store.js';

export function createApp(config: Config, store: Store = createDynamoStore(createDynamoClient(config.dynamodb), config.dynamodb.tableName)) {
  const { flows, identities, sessions } = store;
  const schema = getDefaultSchema();
  const hasher = createBcryptHasher(config.bcryptCost);
  const sessionService = createSessionService(sessions, config);
  const passwordPolicy = createPasswordPolicy({
    minLength: config.minPasswordLength,
    identifierSimilarityCheck: config.identifierSimilarityCheck,
  });
  const flowDeps = { flows, schema, publicBaseUrl: config.publicBaseUrl, sessionService, hasher };
  return {
    config,
    store,
    sessionService,
    login: createLoginFlows({ ...flowDeps, lifespanMs: config.loginFlowLifespanMs }),
    registration: createRegistrationFlows({ ...flowDeps, passwordPolicy, lifespanMs: config.registrationFlowLifespanMs }),
    settings: createSettingsFlows({
      ...flowDeps,
      identities,
      sessions,
      passwordPolicy,
      lifespanMs: config.settingsFlowLifespanMs,
      privilegedMaxAgeMs: config.privilegedSessionMaxAgeMs,
    }),
    identityAdmin: createIdentityAdmin({ identities, sessions, schema, hasher }),
    sessionAdmin: createSessionAdmin({ sessions, identities, sessionLifespanMs: config.sessionLifespanMs }),
  };
}
export type App = ReturnType<typeof createApp>;

let app: App | undefined;
export function getApp(): App {
  app ??= createApp(getConfig());
  return app;
}
