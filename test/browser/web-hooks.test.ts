/**
 * A web hook that may interrupt, seen in Chromium through our UI: a receiver (a real HTTP server here) refuses some
 * addresses with Kratos's messages shape, and the registration page shows its message beside the e-mail field; an
 * address it accepts signs up.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import type { RunningOffline } from '../../scripts/local-stack.js';
import { launchChromium } from '../support/chromium.js';
import { GOOD_PASSWORD, uniqueEmail } from '../support/http.js';
import { startTracedOffline } from '../support/traced-stack.js';

let browser: Browser;
let offline: RunningOffline;
let receiver: Server;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const { email } = JSON.parse(body) as { email: string };
      const refused = { messages: [{ instance_ptr: '#/traits/email', messages: [{ id: 4000001, text: 'Sign-ups from this domain are closed.', type: 'error' }] }] };
      res.writeHead(email.endsWith('@closed.example') ? 400 : 200, { 'content-type': 'application/json' }).end(JSON.stringify(email.endsWith('@closed.example') ? refused : {}));
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const hook = {
    hook: 'web_hook',
    config: {
      url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/check`,
      method: 'POST',
      body: `base64://${Buffer.from('function(ctx) { email: ctx.identity.traits.email }').toString('base64')}`,
      can_interrupt: true,
    },
  };
  [offline, browser] = await Promise.all([
    startTracedOffline({
      SELFSERVICE_FLOWS_REGISTRATION_STYLE: 'unified',
      SELFSERVICE_FLOWS_REGISTRATION_AFTER_PASSWORD_HOOKS: JSON.stringify([hook, { hook: 'session' }]),
    }),
    launchChromium(),
  ]);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await offline?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});

async function signUp(page: Page, email: string) {
  await page.goto(`${offline.baseUrl}/ui/registration`);
  await page.getByLabel('E-Mail').fill(email);
  await page.getByLabel('Password').fill(GOOD_PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
}

describe('a web hook that may interrupt, in the self-service UI', () => {
  it("shows the hook's message beside the e-mail field, keeps what was typed, and lets an accepted address sign up", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      const refused = uniqueEmail('someone').replace(/@.*$/, '@closed.example');
      await signUp(page, refused);
      await page.waitForURL(/\/ui\/registration\?flow=/);
      const message = page.locator('[data-message-id="4000001"]');
      await message.waitFor();
      expect(await message.textContent()).toBe('Sign-ups from this domain are closed.');
      expect(await page.getByLabel('E-Mail').inputValue()).toBe(refused);

      await signUp(page, uniqueEmail('accepted'));
      await page.waitForURL(`${offline.baseUrl}/ui/welcome`);
    } finally {
      await context.close();
    }
  });
});
