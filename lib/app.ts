/**
 * Wires configuration, storage, hashing and the flows together, once per cold start. Handlers ask for the
 * app lazily, so a function that never touches DynamoDB (health/alive) never builds a client.
 */
import { getConfig, type Config } from './config/index.js';
import { createLoginFlows } from './flows/login.js';
import { createRegistrationFlows } from './flows/registration.js';
import { createSettingsFlows } from './flows/settings.js';
import { createIdentityAdmin } from './identity/admin-service.js';
import { createSessionAdmin } from './session/admin-service.js';
import { createBcryptHasher } from './hashing/bcrypt.js';
import { createPasswordPolicy } from './identity/password-policy.js';
import { getDefaultSchema } from './identity/schema.js';
import { createSessionService } from './session/service.js';
import { createDynamoClient } from './store/dynamodb/client.js';
import { createDynamoStore, type Store } from './store/dynamodb/store.js';

export function createApp(config: Config, store: Store = createDynamoStore(createDynamoClient(config.dynamodb), config.dynamodb.tableName)) {
  const schema = getDefaultSchema();
  const hasher = createBcryptHasher(config.bcryptCost);
  const sessions = createSessionService(store.sessions, config);
  const flowDeps = { flows: store.flows, schema, publicBaseUrl: config.publicBaseUrl };
  const passwordPolicy = createPasswordPolicy({
    minLength: config.minPasswordLength,
    identifierSimilarityCheck: config.identifierSimilarityCheck,
  });
  return {
    config,
    store,
    sessions,
    login: createLoginFlows({
      ...flowDeps,
      identities: store.identities,
      sessions,
      hasher,
      lifespanMs: config.loginFlowLifespanMs,
    }),
    registration: createRegistrationFlows({
      ...flowDeps,
      identities: store.identities,
      sessions,
      hasher,
      passwordPolicy,
      lifespanMs: config.registrationFlowLifespanMs,
    }),
    settings: createSettingsFlows({
      ...flowDeps,
      identities: store.identities,
      sessions,
      sessionStore: store.sessions,
      hasher,
      passwordPolicy,
      lifespanMs: config.settingsFlowLifespanMs,
      privilegedMaxAgeMs: config.privilegedSessionMaxAgeMs,
    }),
    identityAdmin: createIdentityAdmin({ identities: store.identities, sessions: store.sessions, schema, hasher }),
    sessionAdmin: createSessionAdmin(store.sessions, store.identities, config),
  };
}
export type App = ReturnType<typeof createApp>;

let app: App | undefined;
export function getApp(): App {
  app ??= createApp(getConfig());
  return app;
}
