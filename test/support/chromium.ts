import { chromium, type Browser, type Page } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { identifierFirstBaseUrl } from './env.js';
import { GOOD_PASSWORD, registerVia, uniqueEmail } from './http.js';

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

/**
 * Signs in on our UI's two-screen login (identifier first, then the password), as a person does; the caller waits for
 * where it leads (the welcome page, or a second factor's form).
 */
export async function signInTwoScreens(tab: Page, base: string, email: string, password = GOOD_PASSWORD): Promise<void> {
  await tab.goto(`${base}/ui/login`);
  await tab.getByLabel('E-Mail').fill(email);
  await tab.getByRole('button', { name: 'Continue' }).click();
  await tab.waitForURL(/\/ui\/login\?flow=/);
  await tab.getByLabel('Password').fill(password);
  await tab.getByRole('button', { name: 'Sign in with password' }).click();
}

/**
 * A new identity signed in (two-screen login) in a fresh browser context, on our settings page: what the second-factor
 * suites start from. The caller closes `context`.
 */
export async function signedInOnSettings(browser: Browser, label: string) {
  const base = identifierFirstBaseUrl();
  const { email } = await registerVia(base, uniqueEmail(label));
  const context = await browser.newContext();
  const tab = await context.newPage();
  const signIn = () => signInTwoScreens(tab, base, email);
  try {
    await signIn();
    await tab.waitForURL(`${base}/ui/welcome`);
    await tab.goto(`${base}/ui/settings`);
    await tab.waitForURL(/\/ui\/settings\?flow=/);
  } catch (error) {
    await context.close();
    throw error;
  }
  return { base, email, context, tab, signIn };
}
