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
