/**
 * The sign-in methods this build has, registered in one place, by Kratos's names, in the order their nodes appear on a
 * form. Adding a method: a folder beside this file implementing lib/flows/strategy.ts, and a line here.
 */
import type { OidcConfig } from '../config/oidc.js';
import type { RecoveryConfig } from '../config/recovery.js';
import type { RelyingParty, WebAuthnMethodsConfig } from '../config/webauthn.js';
import { ConfigError } from '../config/env.js';
import type { LoginStyle, MethodName, RegistrationStyle } from '../config/selfservice.js';
import type { CourierRepository } from '../courier/repository.js';
import type { FlowRepository } from '../flows/repository.js';
import type { Strategy } from '../flows/strategy.js';
import type { LoginThrottle, ThrottleRepository } from '../flows/throttle.js';
import type { PasswordHasher } from '../hashing/bcrypt.js';
import type { PasswordPolicy } from '../identity/password-policy.js';
import type { IdentityRepository } from '../identity/repository.js';
import type { Committer } from '../util/writes.js';
import { codeStrategy } from './code/index.js';
import { identifierFirstStrategy } from './identifier-first/index.js';
import type { CodeRepository } from './code/repository.js';
import { oidcClients } from './oidc/clients.js';
import { oidcStrategy } from './oidc/index.js';
import { lookupSecretStrategy } from './lookup-secret/index.js';
import { passkeyStrategy } from './passkey/index.js';
import { passwordStrategy, type PasswordStrategyDeps } from './password/index.js';
import type { PasswordCredentials } from './password/repository.js';
import { profileStrategy } from './profile/index.js';
import { totpStrategy } from './totp/index.js';
import { webauthnStrategy } from './webauthn/index.js';

/** Everything a method may need, built once per cold start; each takes what it uses. */
export interface StrategyDeps {
  publicBaseUrl: string;
  loginStyle: LoginStyle;
  registrationStyle: RegistrationStyle;
  recovery: RecoveryConfig;
  hasher: PasswordHasher;
  passwordPolicy: PasswordPolicy;
  throttle?: LoginThrottle;
  flows: Pick<FlowRepository, 'get' | 'setOidcState'>;
  identities: Pick<IdentityRepository, 'findIdByAddress' | 'getWithCredentials' | 'findIdByCredential' | 'findIdByIdentifier'>;
  oidc: OidcConfig;
  /** The passkey and webauthn methods' relying parties. */
  webauthn: WebAuthnMethodsConfig;
  passwords: PasswordCredentials;
  /** The password migration hook's question, when the hook is enabled. */
  passwordMigration?: PasswordStrategyDeps['migration'];
  codes: CodeRepository;
  throttleCounters: Pick<ThrottleRepository, 'countWithin'>;
  courier: Pick<CourierRepository, 'queue' | 'placeholder'>;
  commit: Committer['commit'];
  /** `selfservice.methods.totp.config.issuer`. */
  totpIssuer: string;
}

const BUILT: Partial<Record<MethodName, (deps: StrategyDeps) => Strategy>> = {
  profile: (deps) => profileStrategy({ registrationStyle: deps.registrationStyle }),
  password: (deps) =>
    passwordStrategy({ hasher: deps.hasher, identities: deps.identities, policy: deps.passwordPolicy, flows: deps.flows, credentials: deps.passwords, throttle: deps.throttle, migration: deps.passwordMigration }),
  code: (deps) =>
    codeStrategy({
      config: deps.recovery,
      publicBaseUrl: deps.publicBaseUrl,
      codes: deps.codes,
      throttle: deps.throttleCounters,
      loginThrottle: deps.throttle,
      courier: deps.courier,
      identities: deps.identities,
      commit: deps.commit,
    }),
  oidc: (deps) => oidcStrategy({ config: deps.oidc, ...oidcClients(deps.oidc), flows: deps.flows, identities: deps.identities }),
  totp: (deps) => totpStrategy({ issuer: deps.totpIssuer, throttle: deps.throttle }),
  lookup_secret: (deps) => lookupSecretStrategy({ throttle: deps.throttle }),
  passkey: (deps) => passkeyStrategy({ rp: relyingParty(deps.webauthn.passkey, 'PASSKEY'), publicBaseUrl: deps.publicBaseUrl, identities: deps.identities }),
  webauthn: (deps) =>
    webauthnStrategy({ rp: relyingParty(deps.webauthn.webauthn, 'WEBAUTHN'), passwordless: deps.webauthn.webauthnPasswordless, publicBaseUrl: deps.publicBaseUrl, identities: deps.identities }),
};

/** A method's relying party, which its configuration requires once the method is on. */
function relyingParty(rp: RelyingParty | undefined, method: 'PASSKEY' | 'WEBAUTHN'): RelyingParty {
  if (!rp) throw new ConfigError(`SELFSERVICE_METHODS_${method}_CONFIG_RP_ID and _DISPLAY_NAME are required when SELFSERVICE_METHODS_${method}_ENABLED=true`);
  return rp;
}

/** Refuses, naming its variable, a method switched on that this build does not have (the launcher checks this too). */
export function checkMethods(enabled: readonly MethodName[]): void {
  for (const method of enabled) {
    if (!BUILT[method]) throw new ConfigError(`SELFSERVICE_METHODS_${method.toUpperCase()}_ENABLED=true: the ${method} method is not available here yet`);
  }
}

/**
 * The enabled methods, in registry order (then `extra`, e.g. a test's own). Identifier-first login is a strategy of
 * its own in Kratos (`identifier_first`), on with the login style rather than a method switch; its identifier comes
 * first on the form.
 */
export function createStrategies(enabled: readonly MethodName[], deps: StrategyDeps, extra: readonly Strategy[] = []): Strategy[] {
  checkMethods(enabled);
  const order = Object.keys(BUILT) as MethodName[];
  const styled = deps.loginStyle === 'identifier_first' ? [identifierFirstStrategy()] : [];
  return [...styled, ...order.filter((m) => enabled.includes(m)).map((m) => BUILT[m]!(deps)), ...extra];
}
