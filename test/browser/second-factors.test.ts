/**
 * An authenticator app in our UI, in Chromium, on the suite's second stack (TOTP and lookup codes on): a person signs
 * in, sets the app up from the settings page (the code computed from the secret the page shows, as an app reads it),
 * signs out, signs in with the password and is asked for the app's code before the welcome page.
 */
import * as OTPAuth from 'otpauth';
import { type Browser } from 'playwright-core';
import { launchChromium, signedInOnSettings } from '../support/chromium.js';

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

const codeAt = (secret: string, at: number) => new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: at });

describe('an authenticator app in the self-service UI', () => {
  it('is set up on the settings page and asked for after the password', async () => {
    const { base, email, context, tab, signIn } = await signedInOnSettings(browser, 'chromium-totp');
    try {
      expect(await tab.getByRole('heading', { name: 'Authenticator app' }).count()).toBe(1);
      expect(await tab.getByAltText('Authenticator app QR code').getAttribute('src')).toMatch(/^data:image\/png;base64,/);
      const secret = (await tab.locator('#totp_secret_key').textContent())!.trim();
      expect(secret).toMatch(/^[A-Z2-7]{32}$/);
      await tab.getByLabel('Verify code').fill(codeAt(secret, Date.now()));
      await tab.locator('button[name="method"][value="totp"]').click();
      await tab.waitForURL(/\/ui\/settings\?flow=/);
      expect(await tab.getByRole('button', { name: 'Unlink TOTP Authenticator App' }).count()).toBe(1);

      // A new browser session: the password first, then the app's code (a step later: each code is good once).
      await context.clearCookies();
      await signIn();
      await tab.waitForURL(/\/ui\/login\?flow=/);
      expect(await tab.getByRole('main').textContent()).toContain('Please complete the second authentication challenge.');
      await tab.getByLabel('Authentication code').fill(codeAt(secret, Date.now() + 30_000));
      await tab.getByRole('button', { name: 'Use Authenticator' }).click();
      await tab.waitForURL(`${base}/ui/welcome`);
      expect(await tab.getByRole('main').textContent()).toContain(`You are signed in as ${email}`);
    } finally {
      await context.close();
    }
  });
});
