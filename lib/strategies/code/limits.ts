/**
 * What every code mail counts against, whichever flow sends it (recovery, verification, login, registration): one more
 * mail to the address and one more request from the client, each below its limit in the current window (fixed
 * windows: the counter's key names its window), written in the send's own transaction. Counted for every address,
 * known or not; the keys are HMACs, never the address.
 */
import type { RecoveryConfig } from '../../config/recovery.js';
import { CodeRequestsThrottledError, CodesPerFlowExhaustedError, FlowAlreadyUsedError } from '../../errors/index.js';
import type { FlowType } from '../../flows/model.js';
import type { SubmitContext } from '../../flows/strategy.js';
import type { ThrottleRepository } from '../../flows/throttle.js';
import { messages } from '../../text/messages.js';
import { fixedWindow, throttleDigest } from '../../util/counters.js';
import type { Writes } from '../../util/writes.js';

export function sendLimits(config: RecoveryConfig, throttle: Pick<ThrottleRepository, 'countWithin'>, address: string, ip: string | undefined, now: Date): Writes[] {
  const secret = config.codeSecrets[0];
  const window = fixedWindow(config.sendLimitWindowMs, now);
  const full = () => new CodeRequestsThrottledError(Math.max(1, Math.ceil((window.endsAt.getTime() - now.getTime()) / 1000)));
  const expiresAt = new Date(window.endsAt.getTime() + config.sendLimitWindowMs);
  return [
    throttle.countWithin(`code#address#${throttleDigest(address, secret)}#${window.id}`, config.maxSendsPerAddress, expiresAt, full),
    ...(ip ? [throttle.countWithin(`code#ip#${throttleDigest(ip, secret)}#${window.id}`, config.maxRequestsPerIp, expiresAt, full)] : []),
  ];
}

/**
 * A send's commit failing for a reason the flow is told (the flow done meanwhile, its sends used up; a browser's flow
 * also the address or client limit): that failure, thrown; anything else (a native app past a limit: 429) rethrown.
 */
export function sendRefused(error: unknown, ctx: Pick<SubmitContext, 'flow' | 'fail'>, type: FlowType, values: Record<string, unknown>): never {
  if (error instanceof FlowAlreadyUsedError) throw ctx.fail([messages.flowAlreadyCompleted(type)], {}, values);
  if (error instanceof CodesPerFlowExhaustedError) throw ctx.fail([messages.tooManyCodesSent()], {}, values);
  // A browser is told on its flow; a native app gets 429 with Retry-After.
  if (error instanceof CodeRequestsThrottledError && ctx.flow.mode === 'browser') throw ctx.fail([messages.generic(error.reason!)], {}, values);
  throw error;
}
