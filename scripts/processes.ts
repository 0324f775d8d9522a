/** What the launcher's child processes (DynamoDB Local, serverless-offline, the courier, the inbox) share. */
import type { ChildProcess } from 'node:child_process';

export const isRunning = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null;

/**
 * Stops `child`: SIGTERM, then SIGKILL if it is still there after `graceMs`; resolves once it exited. `group`:
 * signal its whole process group (a child spawned `detached`, with what it started itself).
 */
export function stopProcess(child: ChildProcess, options: { group?: boolean; graceMs?: number } = {}): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!isRunning(child)) return resolve();
    const kill = (signal: NodeJS.Signals) => {
      if (options.group) {
        try {
          process.kill(-child.pid!, signal);
          return;
        } catch {
          // no group (not detached, or gone): the child alone
        }
      }
      child.kill(signal);
    };
    const timer = setTimeout(() => kill('SIGKILL'), options.graceMs ?? 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    kill('SIGTERM');
  });
}

/**
 * Every child the launcher started, recorded the moment it is spawned: a signal that arrives while something is
 * still starting (before its start function returned) stops it too.
 */
const started = new Map<ChildProcess, { group: boolean }>();

export function track(child: ChildProcess, options: { group?: boolean } = {}): void {
  started.set(child, { group: options.group ?? false });
  child.once('exit', () => started.delete(child));
}

/** Stops every recorded child still running, the last started first. */
export async function stopAllStarted(): Promise<void> {
  for (const [child, { group }] of [...started].reverse()) await stopProcess(child, { group });
}

/** SIGKILL to every recorded child (and group): the last resort when the launcher itself is exiting. */
export function killAllStarted(): void {
  for (const [child, { group }] of started) {
    for (const pid of group ? [-child.pid!, child.pid!] : [child.pid!]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}
