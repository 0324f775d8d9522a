/**
 * The hook runner: the hooks configured for each flow and phase (lib/config/selfservice.ts), built once, run in their
 * order. Kratos's rules: a method's own `after` list replaces the flow's for that method; with verification on, the
 * verifier runs first after any registration and after a profile change. A hook Kratos allows but this build does not
 * have yet stops the cold start (and `npm start`) naming it.
 */
import type { BrowserConfig } from '../config/browser.js';
import { ConfigError } from '../config/env.js';
import type { FlowName, HookConfig, MethodName, SelfServiceConfig } from '../config/selfservice.js';
import type { AfterContext, AfterHook, BeforeHook, HookRunner } from '../flows/hooks.js';
import type { SessionRepository } from '../session/repository.js';
import type { SessionService } from '../session/service.js';
import type { VerificationSender } from '../strategies/code/verification-sender.js';
import { requireVerifiedAddressHook } from './require-verified-address.js';
import { revokeActiveSessionsHook } from './revoke-active-sessions.js';
import { sessionHook } from './session.js';
import { showVerificationUiHook } from './show-verification-ui.js';
import { verifierHook } from './verifier.js';
import { webHook, type WebHookDeps } from './web-hook.js';

export interface HookDeps {
  sessionService: SessionService;
  sessions: Pick<SessionRepository, 'add' | 'revokeAllOfIdentity'>;
  browser: BrowserConfig;
  /** With verification on: what sends a verification code (the verifier hook). */
  verification?: VerificationSender;
  /** What web hooks need (the courier's queue for the ones not waited for, the secrets). */
  webHooks?: WebHookDeps;
  /** Writes a hook commits apart from its flow's (require_verified_address: the verification it starts). */
  commit?: WebHookDeps['commit'];
}

function webHookOf(deps: HookDeps, config: HookConfig): ReturnType<typeof webHook> {
  if (!deps.webHooks || !config.webHook) throw new ConfigError('web_hook: this function was built without what web hooks need');
  return webHook(deps.webHooks, config.webHook);
}

/** The hooks this build has, by Kratos's names. */
const AFTER_HOOKS: Record<string, (deps: HookDeps, config: HookConfig) => AfterHook> = {
  session: (deps) => sessionHook(deps),
  show_verification_ui: () => showVerificationUiHook(),
  revoke_active_sessions: (deps) => revokeActiveSessionsHook(deps),
  web_hook: webHookOf,
  require_verified_address: (deps) => {
    if (!deps.commit) throw new ConfigError('require_verified_address: this function was built without a store to commit to');
    return requireVerifiedAddressHook({ browser: deps.browser, verification: deps.verification, commit: deps.commit });
  },
};
const BEFORE_HOOKS: Record<string, (deps: HookDeps, config: HookConfig) => BeforeHook> = { web_hook: webHookOf };

function variableOf(flow: FlowName, phase: string, method?: string) {
  return `SELFSERVICE_FLOWS_${flow.toUpperCase()}_${phase}${method ? `_${method.toUpperCase()}` : ''}_HOOKS`;
}

function unavailable(hook: string, where: string): ConfigError {
  return new ConfigError(`${where}: the "${hook}" hook is not available here yet (this build has: ${Object.keys(AFTER_HOOKS).join(', ')})`);
}

/** Refuses, naming it, a configured hook this build does not have (the launcher checks this before starting). */
export function checkHooks(config: SelfServiceConfig): void {
  for (const [flow, hooks] of Object.entries(config.hooks) as [FlowName, SelfServiceConfig['hooks'][FlowName]][]) {
    for (const { hook } of hooks.before) if (!BEFORE_HOOKS[hook]) throw unavailable(hook, variableOf(flow, 'BEFORE'));
    for (const { hook } of hooks.after) if (!AFTER_HOOKS[hook]) throw unavailable(hook, variableOf(flow, 'AFTER'));
    for (const [method, list] of Object.entries(hooks.afterByMethod)) {
      for (const { hook } of list ?? []) if (!AFTER_HOOKS[hook]) throw unavailable(hook, variableOf(flow, 'AFTER', method));
    }
  }
}

export function createHookRunner(config: SelfServiceConfig, deps: HookDeps): HookRunner {
  checkHooks(config);
  const verifier = deps.verification ? verifierHook({ sender: deps.verification, browser: deps.browser }) : undefined;
  const built = new Map<string, AfterHook[]>();

  /** The after hooks of a flow completed with a method, in the order they run. */
  function afterHooks(flow: FlowName, method: string): AfterHook[] {
    const key = `${flow}/${method}`;
    let hooks = built.get(key);
    if (!hooks) {
      const flowHooks = config.hooks[flow];
      const list = flowHooks.afterByMethod[method as MethodName] ?? flowHooks.after;
      hooks = list.map((entry) => AFTER_HOOKS[entry.hook](deps, entry));
      const verifies = flow === 'registration' || (flow === 'settings' && method === 'profile');
      if (verifier && verifies) hooks.unshift(verifier);
      built.set(key, hooks);
    }
    return hooks;
  }
  const beforeHooks = Object.fromEntries(
    Object.entries(config.hooks).map(([flow, hooks]) => [flow, hooks.before.map((entry) => BEFORE_HOOKS[entry.hook](deps, entry))]),
  ) as Record<FlowName, BeforeHook[]>;

  return {
    async before(ctx) {
      for (const hook of beforeHooks[ctx.flowType]) await hook.run(ctx);
    },
    async prepare(ctx: AfterContext) {
      for (const hook of afterHooks(ctx.flowType, ctx.method)) await hook.prepare?.(ctx);
    },
    async committed(ctx: AfterContext) {
      for (const hook of afterHooks(ctx.flowType, ctx.method)) await hook.committed?.(ctx);
    },
  };
}
