/**
 * The courier, locally: the courier function's own handler (functions/courier.ts), called with a sweep every
 * ~300 ms against the local DynamoDB, since DynamoDB Local's stream does not reach serverless-offline. Started by
 * `npm start` and the test setup (startCourier in local-stack.ts) with the functions' environment; stops on SIGTERM
 * or SIGINT once the sweep in progress has finished.
 */
import { log } from '../lib/log/index.js';

const INTERVAL_MS = Number(process.env.COURIER_LOCAL_INTERVAL_MS) || 300;
let stopping = false;
let wake: (() => void) | undefined;

const stop = () => {
  stopping = true;
  wake?.();
};
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, stop);
// The launcher that started it is gone (its IPC channel closed): never outlive it.
process.on('disconnect', stop);

let lastFailureLog = 0;

async function main(): Promise<void> {
  // Imported here: the function reads its configuration at load, and a bad value should be this process's one error line.
  const { handler } = await import('../functions/courier.js');
  log('info', 'courier-local: started', { interval_ms: INTERVAL_MS });
  process.send?.('started');
  while (!stopping) {
    try {
      const { outcomes } = await handler({ source: 'courier-local', 'detail-type': 'Scheduled Event' });
      if (outcomes && Object.keys(outcomes).length > 0) log('info', 'courier-local: sweep', { outcomes });
    } catch (error) {
      // At most one line every 10 s: an unreachable database must not flood the log.
      if (Date.now() - lastFailureLog > 10_000) {
        lastFailureLog = Date.now();
        log('error', 'courier-local: sweep failed', { error: error instanceof Error ? error.name : 'Error' });
      }
    }
    await new Promise<void>((resolve) => {
      wake = resolve;
      setTimeout(resolve, INTERVAL_MS);
    });
  }
  log('info', 'courier-local: stopped');
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log('error', `courier-local: could not start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
