/**
 * Codes in our UI, in Chromium: a person signs in with nothing but a code mailed to them (passwordless, on a stack of
 * its own with the e-mail a code address; the code read from the mail the courier delivered to the test's SMTP
 * server), and another signs in with a backup recovery code as the second factor (the suite's second stack, TOTP and
 * lookup codes on), the codes read from the settings page as a person would copy them.
 */
import { type Browser } from 'playwright-core';
import type { RunningOffline } from '../../scripts/local-stack.js';
import { launchChromium, signedInOnSettings } from '../support/chromium.js';
import { codeSchemaDocument } from '../support/flows.js';
import { registerVia, uniqueEmail } from '../support/http.js';
import { mailsIn, testMailDir } from '../support/smtp.js';
import { startTracedOffline } from '../support/traced-stack.js';

let browser: Browser;
let codeStack: RunningOffline;

beforeAll(async () => {
  [codeStack, browser] = await Promise.all([
    startTracedOffline({
      SELFSERVICE_METHODS_CODE_PASSWORDLESS_ENABLED: 'true',
      SELFSERVICE_METHODS_CODE_CONFIG_MAX_REQUESTS_PER_IP: '100000',
      IDENTITY_SCHEMAS: JSON.stringify([{ id: 'default', url: `base64://${Buffer.from(JSON.stringify(codeSchemaDocument())).toString('base64')}` }]),
    }),
    launchChromium(),
  ]);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await codeStack?.stop();
});

/** The code of the `count`-th mail to `to` whose subject includes `subject` (the courier delivers within seconds). */
async function mailedCode(to: string, subject: string, count = 1, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await mailsIn(testMailDir(), { to, subjectIncludes: subject });
    if (found.length >= count) return /\b(\d{6})\b/.exec(found[count - 1].text ?? '')![1];
    if (Date.now() > deadline) throw new Error(`fewer than ${count} mails "${subject}" to ${to} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('codes in the self-service UI', () => {
  it('signs in with a code mailed to the address, after a wrong one and a resend', async () => {
    const base = codeStack.baseUrl;
    const { email } = await registerVia(base, uniqueEmail('chromium-code'));
    const context = await browser.newContext();
    const tab = await context.newPage();
    try {
      await tab.goto(`${base}/ui/login`);
      await tab.getByLabel('E-Mail').fill(email);
      await tab.getByRole('button', { name: 'Send sign in code' }).click();
      await tab.waitForURL(/\/ui\/login\?flow=/);
      expect(await tab.getByRole('main').textContent()).toContain('A code was sent to the address you provided.');
      const first = await mailedCode(email, 'to log in');

      await tab.getByLabel('Login code').fill(first === '000000' ? '111111' : '000000');
      await tab.getByRole('button', { name: 'Continue' }).click();
      await tab.waitForURL(/\/ui\/login\?flow=/);
      expect(await tab.getByRole('main').textContent()).toContain('The login code is invalid or has already been used. Please try again.');

      // A resend replaces the code: the first one no longer signs in, the second does.
      await tab.getByRole('button', { name: 'Resend code' }).click();
      await tab.waitForURL(/\/ui\/login\?flow=/);
      const second = await mailedCode(email, 'to log in', 2);
      if (second !== first) {
        await tab.getByLabel('Login code').fill(first);
        await tab.getByRole('button', { name: 'Continue' }).click();
        await tab.waitForURL(/\/ui\/login\?flow=/);
        expect(await tab.getByRole('main').textContent()).toContain('The login code is invalid or has already been used.');
      }
      await tab.getByLabel('Login code').fill(second);
      await tab.getByRole('button', { name: 'Continue' }).click();
      await tab.waitForURL(`${base}/ui/welcome`);
      expect(await tab.getByRole('main').textContent()).toContain(`You are signed in as ${email}`);
      const whoami = await (await tab.request.get(`${base}/sessions/whoami`)).json();
      expect(whoami.authentication_methods).toEqual([expect.objectContaining({ method: 'code', aal: 'aal1' })]);
    } finally {
      await context.close();
    }
  });

  it('signs in with a backup recovery code as the second factor, each code once', async () => {
    const { base, email, context, tab, signIn } = await signedInOnSettings(browser, 'chromium-lookup');
    try {
      expect(await tab.getByRole('heading', { name: 'Backup recovery codes' }).count()).toBe(1);
      await tab.getByRole('button', { name: 'Generate new backup recovery codes' }).click();
      await tab.waitForURL(/\/ui\/settings\?flow=/);
      const codes = ((await tab.locator('#lookup_secret_codes').textContent()) ?? '').match(/\b[a-z0-9]{8}\b/g) ?? [];
      expect(codes).toHaveLength(12);
      const [firstCode, secondCode] = codes as [string, string];
      await tab.getByRole('button', { name: 'Confirm backup recovery codes' }).click();
      await tab.waitForURL(/\/ui\/settings\?flow=/);
      expect(await tab.getByRole('button', { name: 'Reveal backup recovery codes' }).count()).toBe(1);

      // A new browser session: the password, then one of the codes.
      await context.clearCookies();
      await signIn();
      await tab.waitForURL(/\/ui\/login\?flow=/);
      expect(await tab.getByRole('main').textContent()).toContain('Please complete the second authentication challenge.');
      await tab.getByLabel('Backup recovery code').fill(firstCode);
      await tab.getByRole('button', { name: 'Use backup recovery code' }).click();
      await tab.waitForURL(`${base}/ui/welcome`);
      expect(await tab.getByRole('main').textContent()).toContain(`You are signed in as ${email}`);
      const whoami = await (await tab.request.get(`${base}/sessions/whoami`)).json();
      expect(whoami.authenticator_assurance_level).toBe('aal2');
      expect(whoami.authentication_methods.map((m: { method: string }) => m.method)).toEqual(['password', 'lookup_secret']);

      // The same code again is refused; another one signs in.
      await context.clearCookies();
      await signIn();
      await tab.waitForURL(/\/ui\/login\?flow=/);
      await tab.getByLabel('Backup recovery code').fill(firstCode);
      await tab.getByRole('button', { name: 'Use backup recovery code' }).click();
      await tab.waitForURL(/\/ui\/login\?flow=/);
      expect(await tab.getByRole('main').textContent()).toContain('This backup recovery code has already been used.');
      await tab.getByLabel('Backup recovery code').fill(secondCode);
      await tab.getByRole('button', { name: 'Use backup recovery code' }).click();
      await tab.waitForURL(`${base}/ui/welcome`);
    } finally {
      await context.close();
    }
  });
});
