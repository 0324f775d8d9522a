/**
 * The settings page's "Active sessions" card in Chromium: two browsers signed in to one account; the first sees the
 * second's session and signs it out (the second browser is then signed out), then signs out every other session.
 */
import { type Browser, type BrowserContext } from 'playwright-core';
import { launchChromium } from '../support/chromium.js';
import { baseUrl } from '../support/env.js';
import { GOOD_PASSWORD, registerVia, uniqueEmail } from '../support/http.js';

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

async function signedIn(email: string, userAgent: string): Promise<BrowserContext> {
  const context = await browser.newContext({ userAgent });
  const tab = await context.newPage();
  await tab.goto(`${baseUrl()}/ui/login`);
  await tab.getByLabel('E-Mail').fill(email);
  await tab.getByLabel('Password').fill(GOOD_PASSWORD);
  await tab.getByRole('button', { name: 'Sign in with password' }).click();
  await tab.waitForURL(`${baseUrl()}/ui/welcome`);
  return context;
}

describe('active sessions on the settings page', () => {
  it('lists the other browser and signs it out', async () => {
    const { email } = await registerVia(baseUrl(), uniqueEmail('chromium-sessions'));
    const first = await signedIn(email, 'First browser');
    const second = await signedIn(email, 'Second browser');
    try {
      const tab = first.pages()[0];
      await tab.goto(`${baseUrl()}/ui/settings`);
      await tab.waitForURL(/\/ui\/settings\?flow=/);
      // The second browser (newest first), and the session the registration's API call signed in.
      const card = tab.locator('ul.sessions li');
      expect(await card.count()).toBe(2);
      expect(await card.first().textContent()).toContain('Second browser');
      await card.first().getByRole('button', { name: 'Sign out this session' }).click();
      await tab.waitForURL(/\/ui\/settings\?flow=/);
      expect(await card.count()).toBe(1);
      expect(await card.first().textContent()).not.toContain('Second browser');
      await tab.getByRole('button', { name: 'Sign out all other sessions' }).click();
      await tab.waitForURL(/\/ui\/settings\?flow=/);
      expect(await tab.getByText('No other session is signed in.').count()).toBe(1);

      const other = second.pages()[0];
      await other.goto(`${baseUrl()}/ui/welcome`);
      expect(await other.getByRole('main').textContent()).not.toContain(`You are signed in as ${email}`);
    } finally {
      await first.close();
      await second.close();
    }
  });
});
