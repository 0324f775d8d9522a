import { chromium, type Browser } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** CHROMIUM_PATH, else Debian's chromium on PATH (scripts/install-chromium.sh installs it). */
export function chromiumPath(): string {
  const configured = process.env.CHROMIUM_PATH;
  if (configured && existsSync(configured)) return configured;
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    } catch {
      // not this one
    }
  }
  throw new Error('Chromium not found: run scripts/install-chromium.sh (Debian package "chromium"), or set CHROMIUM_PATH');
}

/** Debian's Chromium, headless, as every browser suite runs it (no sandbox: the tests run as root in a container). */
export const launchChromium = (): Promise<Browser> => chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox', '--disable-dev-shm-usage'] });
