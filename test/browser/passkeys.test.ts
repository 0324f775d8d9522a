/**
 * Passkeys and security keys in our UI, in Chromium with a virtual authenticator (the DevTools Protocol's WebAuthn
 * domain): our webauthn.js runs the ceremonies the flows' nodes describe. A person signs up with a passkey, signs out,
 * and signs in with it; another adds a security key on the settings page and is asked for it after the password.
 * A stack of its own: passkey and webauthn on, an identity schema that names the passkey, and `localhost` as the
 * public host (a relying party id cannot be an IP address).
 */
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { freePort } from '../../scripts/dynamodb-local.js';
import type { RunningOffline } from '../../scripts/local-stack.js';
import { launchChromium } from '../support/chromium.js';
import { GOOD_PASSWORD, registerVia, uniqueEmail } from '../support/http.js';
import { startTracedOffline } from '../support/traced-stack.js';

let browser: Browser;
let offline: RunningOffline;
let base: string;

beforeAll(async () => {
  const port = await freePort();
  base = `http://localhost:${port}`;
  [offline, browser] = await Promise.all([
    startTracedOffline(
      {
        SERVE_PUBLIC_BASE_URL: base,
        IDENTITY_SCHEMAS: JSON.stringify([{ id: 'default', url: 'file://test/fixtures/webauthn.schema.json' }]),
        IDENTITY_DEFAULT_SCHEMA_ID: 'default',
        SELFSERVICE_METHODS_PASSKEY_ENABLED: 'true',
        SELFSERVICE_METHODS_PASSKEY_CONFIG_RP_ID: 'localhost',
        SELFSERVICE_METHODS_PASSKEY_CONFIG_RP_DISPLAY_NAME: 'Passkey test',
        SELFSERVICE_METHODS_PASSKEY_CONFIG_RP_ORIGINS: base,
        SELFSERVICE_METHODS_WEBAUTHN_ENABLED: 'true',
        SELFSERVICE_METHODS_WEBAUTHN_CONFIG_RP_ID: 'localhost',
        SELFSERVICE_METHODS_WEBAUTHN_CONFIG_RP_DISPLAY_NAME: 'Security key test',
        SELFSERVICE_METHODS_WEBAUTHN_CONFIG_RP_ORIGINS: base,
      },
      { port },
    ),
    launchChromium(),
  ]);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await offline?.stop();
});

/** A browser profile with a platform authenticator that holds passkeys and verifies its user. */
async function withAuthenticator(): Promise<{ context: BrowserContext; tab: Page; credentials: () => Promise<{ isResidentCredential: boolean; signCount: number }[]> }> {
  const context = await browser.newContext();
  const tab = await context.newPage();
  const cdp = await context.newCDPSession(tab);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  const credentials = async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
  return { context, tab, credentials };
}

describe('passkeys and security keys in the self-service UI', () => {
  it('signs up with a passkey, signs out, and signs in with it', async () => {
    const email = uniqueEmail('chromium-passkey');
    const { context, tab, credentials } = await withAuthenticator();
    try {
      await tab.goto(`${base}/ui/registration`);
      await tab.getByLabel('E-Mail').fill(email);
      await tab.getByRole('button', { name: 'Sign up', exact: true }).click();
      await tab.waitForURL(/\/ui\/registration\?flow=/);
      await tab.getByRole('button', { name: 'Sign up with passkey' }).click();
      await tab.waitForURL(`${base}/ui/welcome`);
      expect(await tab.getByRole('main').textContent()).toContain(`You are signed in as ${email}`);
      expect(await credentials()).toEqual([expect.objectContaining({ isResidentCredential: true })]);

      await tab.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Sign out' }).click();
      await tab.waitForLoadState();
      expect(await tab.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Sign in' }).count()).toBe(1);

      // The login page starts the passkey autocomplete on load (oryPasskeyLoginAutocompleteInit, conditional
      // mediation), which the virtual authenticator answers at once: signed in without a click.
      await tab.goto(`${base}/ui/login`);
      await tab.waitForURL(`${base}/ui/welcome`);
      expect(await tab.getByRole('main').textContent()).toContain(`You are signed in as ${email}`);
      expect((await credentials())[0].signCount).toBeGreaterThan(0);

      // Without conditional mediation (most browsers' password managers off), the button signs in.
      await tab.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Sign out' }).click();
      await tab.waitForLoadState();
      await tab.addInitScript('delete window.PublicKeyCredential.isConditionalMediationAvailable;');
      await tab.goto(`${base}/ui/login`);
      const before = (await credentials())[0].signCount;
      await tab.getByRole('button', { name: 'Sign in with passkey' }).click();
      await tab.waitForURL(`${base}/ui/welcome`);
      expect(await tab.getByRole('main').textContent()).toContain(`You are signed in as ${email}`);
      expect((await credentials())[0].signCount).toBeGreaterThan(before);
    } finally {
      await context.close();
    }
  });

  it('adds a security key on the settings page and asks for it after the password', async () => {
    const { email } = await registerVia(base, uniqueEmail('chromium-key'));
    const { context, tab, credentials } = await withAuthenticator();
    const signInWithPassword = async () => {
      await tab.goto(`${base}/ui/login`);
      await tab.getByLabel('E-Mail').fill(email);
      await tab.getByLabel('Password').fill(GOOD_PASSWORD);
      await tab.getByRole('button', { name: 'Sign in with password' }).click();
    };
    try {
      await signInWithPassword();
      await tab.waitForURL(`${base}/ui/welcome`);
      await tab.goto(`${base}/ui/settings`);
      await tab.waitForURL(/\/ui\/settings\?flow=/);
      await tab.getByLabel('Name of the security key').fill('Desk key');
      await tab.getByRole('button', { name: 'Add security key' }).click();
      await tab.waitForURL(/\/ui\/settings\?flow=/);
      await tab.getByRole('button', { name: 'Remove security key "Desk key"' }).waitFor({ timeout: 5000 });
      expect(await credentials()).toHaveLength(1);

      await context.clearCookies();
      await signInWithPassword();
      await tab.waitForURL(/\/ui\/login\?flow=/);
      expect(await tab.getByRole('main').textContent()).toContain('Please complete the second authentication challenge.');
      await tab.getByRole('button', { name: 'Sign in with a hardware key' }).click();
      await tab.waitForURL(`${base}/ui/welcome`);
      expect(await tab.getByRole('main').textContent()).toContain(`You are signed in as ${email}`);
    } finally {
      await context.close();
    }
  });
});
