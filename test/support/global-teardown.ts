import type { LocalDatabase, RunningOffline } from '../../scripts/local-stack.js';

export default async function globalTeardown(): Promise<void> {
  const stack = (globalThis as Record<string, unknown>).__LOCAL_STACK__ as
    | { database: LocalDatabase; offline: RunningOffline }
    | undefined;
  await stack?.offline.stop();
  await stack?.database.stop();
}
