/**
 * Which sign-in methods are on, and which hooks run where, under Kratos's keys: `selfservice.methods.<method>.enabled`
 * (SELFSERVICE_METHODS_<METHOD>_ENABLED) and `selfservice.flows.<flow>.{before,after}.hooks` with
 * `after.<method>.hooks` (SELFSERVICE_FLOWS_<FLOW>_AFTER_<METHOD>_HOOKS), each a JSON list of `{"hook": ...,
 * "config": {...}}` or Kratos's indexed form (`..._HOOKS_0_HOOK=session`, `..._HOOKS_0_CONFIG_URL=...`). Checked
 * here: the shape, and that a hook is one Kratos allows at that place; lib/hooks checks it is one this build has.
 */
import { ConfigError, readBoolean, readChoice, readOptionalString, type Env } from './env.js';
import { parseWebHookConfig, parseWebHookSecrets, type WebHookConfig } from './web-hook.js';
import { isPlainObject as isObject } from '../util/objects.js';

/** Kratos's method names, with Kratos's defaults (`link` aside: see README). */
export const METHOD_DEFAULTS = {
  password: true,
  profile: true,
  code: true,
  link: false,
  oidc: false,
  totp: false,
  lookup_secret: false,
  webauthn: false,
  passkey: false,
} as const;
export type MethodName = keyof typeof METHOD_DEFAULTS;

export const FLOWS = ['login', 'registration', 'settings', 'recovery', 'verification'] as const;
export type FlowName = (typeof FLOWS)[number];

export interface HookConfig {
  hook: string;
  config?: Record<string, unknown>;
  /** A `web_hook`'s config, checked. */
  webHook?: WebHookConfig;
}

export interface FlowHooks {
  before: HookConfig[];
  /** `after.hooks`: for every method without a list of its own. */
  after: HookConfig[];
  /** `after.<method>.hooks`: replaces `after` for that method (Kratos does not merge them). */
  afterByMethod: Partial<Record<MethodName, HookConfig[]>>;
}

/**
 * `selfservice.flows.login.style`: `unified` (one form: identifier and every method) or `identifier_first` (the
 * identifier alone, then the methods for it).
 */
export const LOGIN_STYLES = ['unified', 'identifier_first'] as const;
export type LoginStyle = (typeof LOGIN_STYLES)[number];
/**
 * `selfservice.flows.registration.style`: `unified` (one form: traits and credentials) or `profile_first` (the traits,
 * then the credential).
 */
export const REGISTRATION_STYLES = ['unified', 'profile_first'] as const;
export type RegistrationStyle = (typeof REGISTRATION_STYLES)[number];

export interface SelfServiceConfig {
  /** The methods switched on. */
  enabledMethods: MethodName[];
  hooks: Record<FlowName, FlowHooks>;
  loginStyle: LoginStyle;
  registrationStyle: RegistrationStyle;
  /** SELFSERVICE_WEB_HOOK_SECRETS (a secret: Parameter Store may hold it): web hook secrets by hook id. */
  webHookSecrets: Record<string, string>;
}

/** The hooks Kratos allows at each place (its configuration schema). */
const ALLOWED: Record<FlowName, { before: string[]; after: string[] }> = {
  login: { before: ['web_hook'], after: ['web_hook', 'revoke_active_sessions', 'require_verified_address', 'show_verification_ui', 'verification'] },
  registration: { before: ['web_hook'], after: ['web_hook', 'session', 'show_verification_ui'] },
  settings: { before: ['web_hook'], after: ['web_hook', 'revoke_active_sessions', 'show_verification_ui'] },
  recovery: { before: ['web_hook'], after: ['web_hook', 'revoke_active_sessions'] },
  verification: { before: ['web_hook'], after: ['web_hook'] },
};

/**
 * What runs when nothing is configured at a flow's `after` (neither its list nor a method's):
 * - registration: Kratos's quickstart (`registration.after.password.hooks: [session, show_verification_ui]`), for any
 *   method. Kratos's own default is no hook at all, which registers without signing in; the quickstart is what its
 *   users run and what this API has always answered.
 * - settings with a new password, and recovery: `revoke_active_sessions`. Kratos's default is off; here a password
 *   changed or an account recovered ends every other session, because the likeliest reason to do either is that
 *   someone else may hold the old password, or a session.
 */
const DEFAULT_AFTER: Partial<Record<FlowName, HookConfig[]>> = {
  registration: [{ hook: 'session' }, { hook: 'show_verification_ui' }],
  recovery: [{ hook: 'revoke_active_sessions' }],
};
const DEFAULT_AFTER_BY_METHOD: Partial<Record<FlowName, FlowHooks['afterByMethod']>> = {
  settings: { password: [{ hook: 'revoke_active_sessions' }] },
};

/** `SELFSERVICE_FLOWS_<FLOW>_<PHASE>[_<METHOD>]_HOOKS`. */
const hooksVariable = (flow: FlowName, phase: 'BEFORE' | 'AFTER', method?: MethodName) =>
  `SELFSERVICE_FLOWS_${flow.toUpperCase()}_${phase}${method ? `_${method.toUpperCase()}` : ''}_HOOKS`;

/** `..._HOOKS_<i>_CONFIG_<KEY...>` -> config.key...: nested by `_`, lower-cased, as Kratos's environment loader does. */
function setConfigPath(target: Record<string, unknown>, path: string[], value: string): void {
  let node = target;
  for (const part of path.slice(0, -1)) {
    if (!isObject(node[part])) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

/** One list of hooks: the JSON form, else the indexed form, else undefined (not configured). */
function readHookList(env: Env, name: string, indexedEntries: [string, string | undefined][]): HookConfig[] | undefined {
  const raw = readOptionalString(env, name);
  let list: unknown;
  if (raw !== undefined) {
    try {
      list = JSON.parse(raw);
    } catch {
      throw new ConfigError(`${name} must be a JSON list of hooks such as [{"hook":"session"}], got "${raw.slice(0, 100)}"`);
    }
  } else {
    const indexed = new Map<number, Record<string, unknown>>();
    const pattern = new RegExp(`^${name}_(\\d+)_(HOOK|CONFIG_(.+))$`);
    for (const [key, value] of indexedEntries) {
      const match = pattern.exec(key);
      if (!match || value === undefined || value.trim() === '') continue;
      const entry = indexed.get(Number(match[1])) ?? {};
      if (match[2] === 'HOOK') entry.hook = value.trim();
      else setConfigPath((entry.config ??= {}) as Record<string, unknown>, match[3].toLowerCase().split('_'), value);
      indexed.set(Number(match[1]), entry);
    }
    if (indexed.size === 0) return undefined;
    list = [...indexed.entries()].sort(([a], [b]) => a - b).map(([, entry]) => entry);
  }
  if (!Array.isArray(list)) throw new ConfigError(`${name} must be a JSON list of hooks such as [{"hook":"session"}]`);
  return list.map((entry, i) => {
    if (!isObject(entry) || typeof entry.hook !== 'string' || entry.hook === '') throw new ConfigError(`${name}: hook ${i} needs a "hook" name`);
    if (entry.config !== undefined && !isObject(entry.config)) throw new ConfigError(`${name}: the "config" of hook ${i} (${entry.hook}) must be an object`);
    const config = entry.config as Record<string, unknown> | undefined;
    return { hook: entry.hook, ...(config ? { config } : {}), ...(entry.hook === 'web_hook' ? { webHook: parseWebHookConfig(config, `${name} (hook ${i})`) } : {}) };
  });
}

function checkAllowed(list: HookConfig[], allowed: string[], name: string): HookConfig[] {
  for (const { hook } of list) {
    if (!allowed.includes(hook)) throw new ConfigError(`${name}: "${hook}" is not a hook Kratos runs there; allowed: ${allowed.join(', ')}`);
  }
  return list;
}

export function loadSelfServiceConfig(env: Env): SelfServiceConfig {
  // Kratos: passwordless codes force the code method on, whatever its `enabled` says.
  const forced = (method: MethodName) => method === 'code' && readBoolean(env, 'SELFSERVICE_METHODS_CODE_PASSWORDLESS_ENABLED', false);
  const enabledMethods = (Object.keys(METHOD_DEFAULTS) as MethodName[]).filter(
    (method) => readBoolean(env, `SELFSERVICE_METHODS_${method.toUpperCase()}_ENABLED`, METHOD_DEFAULTS[method]) || forced(method),
  );
  const hooks = {} as Record<FlowName, FlowHooks>;
  // The variables of Kratos's indexed form, found once: reading all of process.env is slow (each entry is a call into
  // the environment), and there are 55 lists to look for.
  const indexed = Object.entries(env).filter(([key]) => key.startsWith('SELFSERVICE_FLOWS_') && /_HOOKS_\d+_/.test(key));
  for (const flow of FLOWS) {
    const before = readHookList(env, hooksVariable(flow, 'BEFORE'), indexed);
    const after = readHookList(env, hooksVariable(flow, 'AFTER'), indexed);
    const afterByMethod: FlowHooks['afterByMethod'] = {};
    for (const method of Object.keys(METHOD_DEFAULTS) as MethodName[]) {
      const name = hooksVariable(flow, 'AFTER', method);
      const list = readHookList(env, name, indexed);
      if (list) afterByMethod[method] = checkAllowed(list, ALLOWED[flow].after, name);
    }
    // The defaults of a flow's methods hold only where nothing of that flow's `after` was configured.
    if (!after && Object.keys(afterByMethod).length === 0) Object.assign(afterByMethod, DEFAULT_AFTER_BY_METHOD[flow] ?? {});
    hooks[flow] = {
      before: checkAllowed(before ?? [], ALLOWED[flow].before, hooksVariable(flow, 'BEFORE')),
      after: checkAllowed(after ?? DEFAULT_AFTER[flow] ?? [], ALLOWED[flow].after, hooksVariable(flow, 'AFTER')),
      afterByMethod,
    };
  }
  return {
    enabledMethods,
    hooks,
    loginStyle: readChoice(env, 'SELFSERVICE_FLOWS_LOGIN_STYLE', LOGIN_STYLES, 'unified'),
    registrationStyle: registrationStyle(env, enabledMethods),
    webHookSecrets: parseWebHookSecrets(readOptionalString(env, 'SELFSERVICE_WEB_HOOK_SECRETS')),
  };
}

/**
 * Kratos's default is `profile_first`. Its deprecated switch `enable_legacy_one_step: true` still means `unified`
 * (Kratos reads it first). The traits screen is the profile method's: with the method off there is no first screen, so
 * `profile_first` asked for is refused, and the default is then `unified`. (The default follows the method so that a
 * function deployed without the style variables, which only the login and registration functions get, never refuses
 * a configuration that switched the profile method off.)
 */
function registrationStyle(env: Env, enabledMethods: readonly MethodName[]): RegistrationStyle {
  const legacyOneStep = readBoolean(env, 'SELFSERVICE_FLOWS_REGISTRATION_ENABLE_LEGACY_ONE_STEP', false);
  const chosen = readChoice(env, 'SELFSERVICE_FLOWS_REGISTRATION_STYLE', REGISTRATION_STYLES);
  if (legacyOneStep) return 'unified';
  const profileOn = enabledMethods.includes('profile');
  if (chosen === 'profile_first' && !profileOn) {
    throw new ConfigError(
      'SELFSERVICE_FLOWS_REGISTRATION_STYLE=profile_first asks for the traits with the profile method, but SELFSERVICE_METHODS_PROFILE_ENABLED is false: switch it on, or set SELFSERVICE_FLOWS_REGISTRATION_STYLE=unified',
    );
  }
  return chosen ?? (profileOn ? 'profile_first' : 'unified');
}

/** Every `web_hook` configured, in any flow and phase (the courier delivers the queued ones of any of them). */
export function configuredWebHooks(config: SelfServiceConfig): WebHookConfig[] {
  return Object.values(config.hooks).flatMap((flow) =>
    [...flow.before, ...flow.after, ...Object.values(flow.afterByMethod).flat()].flatMap((entry) => (entry?.webHook ? [entry.webHook] : [])),
  );
}
