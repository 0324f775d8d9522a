/**
 * The self-service UI in a real browser: Debian's Chromium driven by playwright-core (never a downloaded browser),
 * against the suite's serverless-offline. A person's path through it: sign up (two screens: the profile, then the
 * password), sign out, a wrong password, sign in, change the password, a CSRF failure, recovery and verification;
 * every field labelled and its error announced next to it. Then identifier-first sign-in on the suite's second stack.
 */
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { launchChromium } from '../support/chromium.js';
import { baseUrl, identifierFirstBaseUrl } from '../support/env.js';
import { GOOD_PASSWORD, registerVia, uniqueEmail } from '../support/http.js';
import { mailsIn, waitForMail } from '../support/smtp.js';

let browser: Browser;
let context: BrowserContext;
let page: Page;
let base: string;

beforeAll(async () => {
  base = baseUrl();
  browser = await launchChromium();
  context = await browser.newContext();
  page = await context.newPage();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

const email = uniqueEmail('chromium');
const NEW_PASSWORD = 'another long passphrase 8';

async function signIn(password: string): Promise<void> {
  await page.goto(`${base}/ui/login`);
  await page.getByLabel('E-Mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in with password' }).click();
  await page.waitForLoadState();
}

/** The settings page has one form per method; each has its own Save. */
async function save(method: 'profile' | 'password'): Promise<void> {
  await page.locator(`button[name="method"][value="${method}"]`).click();
}

/** The `count`-th mail to `to` whose subject has `subjectIncludes`, once it came. */
async function nthMail(to: string, subjectIncludes: string, count: number) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const found = await mailsIn(process.env.TEST_MAIL_DIR!, { to, subjectIncludes });
    if (found.length >= count) return found[count - 1];
    if (Date.now() > deadline) throw new Error(`fewer than ${count} mails to ${to}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The registration page's two screens (Kratos's default, profile first): the e-mail, then the password. */
async function signUpAs(address: string): Promise<void> {
  await page.getByLabel('E-Mail').fill(address);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.waitForURL(/\/ui\/registration\?flow=/);
  await page.getByLabel('Password').fill(GOOD_PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
}

/** From a signed-in page (the tests before left one): sign out, then sign up as `address`. */
async function signOutAndSignUp(address: string): Promise<void> {
  await page.getByRole('navigation').getByRole('link', { name: 'Sign out' }).click();
  await page.waitForURL(`${base}/ui/welcome`);
  await page.goto(`${base}/ui/registration`);
  await signUpAs(address);
  // Verification is on in the suite's stack: a new account is sent to enter its code first, as in Kratos's quickstart.
  await page.waitForURL(/\/ui\/verification\?flow=/);
}

describe('the self-service UI in Chromium', () => {
  it('signs up from the welcome page and shows who is signed in', async () => {
    await page.goto(`${base}/ui/welcome`);
    expect(await page.getByRole('main').textContent()).toContain('You are not signed in.');
    await page.getByRole('main').getByRole('link', { name: 'create an account' }).click();
    await page.waitForURL(/\/ui\/registration\?flow=/);
    expect(await page.title()).toBe('Create an account');
    // The first field has focus; every field is labelled.
    expect(await page.locator(':focus').getAttribute('name')).toBe('traits.email');
    expect(await page.getByLabel('Password').count()).toBe(0);
    // The profile first; then the password, the e-mail kept; Back returns to the profile with it filled in.
    await page.getByLabel('E-Mail').fill(email);
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.waitForURL(/\/ui\/registration\?flow=/);
    expect(await page.getByRole('alert').textContent()).toContain('Please choose a credential to authenticate yourself with.');
    expect(await page.locator(':focus').getAttribute('name')).toBe('password');
    await page.getByRole('button', { name: 'Back' }).click();
    await page.waitForURL(/\/ui\/registration\?flow=/);
    expect(await page.getByLabel('E-Mail').inputValue()).toBe(email);
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.waitForURL(/\/ui\/registration\?flow=/);
    await page.getByLabel('Password').fill(GOOD_PASSWORD);
    await page.getByRole('button', { name: 'Sign up' }).click();
    // Signed up and signed in, and on to the verification page (verification is on), which says a code was sent.
    await page.waitForURL(/\/ui\/verification\?flow=/);
    expect(await page.getByRole('alert').textContent()).toContain('An email containing a verification code has been sent');
    await page.goto(`${base}/ui/welcome`);
    expect(await page.getByRole('main').textContent()).toContain(`You are signed in as ${email}`);
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'ory_kratos_session')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
  });

  it('signs out', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Sign out' }).click();
    await page.waitForURL(`${base}/ui/welcome`);
    expect(await page.getByRole('main').textContent()).toContain('You are not signed in.');
    expect((await context.cookies()).find((c) => c.name === 'ory_kratos_session')).toBeUndefined();
  });

  it('shows a wrong password as an alert, keeps the e-mail, and signs in with the right one', async () => {
    await signIn('definitely not it 1');
    await page.waitForURL(/\/ui\/login\?flow=/);
    const alert = page.getByRole('alert');
    expect(await alert.textContent()).toContain('The provided credentials are invalid, check for spelling mistakes in your password or username, email address, or phone number.');
    expect(await page.getByLabel('E-Mail').inputValue()).toBe(email);
    expect(await page.getByLabel('Password').inputValue()).toBe('');

    await page.getByLabel('Password').fill(GOOD_PASSWORD);
    await page.getByRole('button', { name: 'Sign in with password' }).click();
    await page.waitForURL(`${base}/ui/welcome`);
    expect(await page.getByRole('main').textContent()).toContain(`You are signed in as ${email}`);
  });

  it('marks a field in error and describes it: a password too short on the settings page', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Account settings' }).click();
    await page.waitForURL(/\/ui\/settings\?flow=/);
    expect(await page.getByRole('main').textContent()).toContain(`Signed in as ${email}`);
    await page.getByLabel('Password').fill('short');
    await save('password');
    await page.waitForURL(/\/ui\/settings\?flow=/);
    const field = page.getByLabel('Password');
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await field.getAttribute('aria-describedby'))!;
    expect(await page.locator(`#${describedBy}`).textContent()).toMatch(/at least 8 characters/);
    expect(await page.locator(':focus').getAttribute('name')).toBe('password');
  });

  it('changes the password; the new one signs in', async () => {
    await page.getByLabel('Password').fill(NEW_PASSWORD);
    await save('password');
    await page.waitForURL(/\/ui\/settings\?flow=/);
    expect(await page.getByRole('alert').textContent()).toContain('Your changes have been saved!');

    await page.getByRole('navigation').getByRole('link', { name: 'Sign out' }).click();
    await page.waitForURL(`${base}/ui/welcome`);
    await signIn(NEW_PASSWORD);
    await page.waitForURL(`${base}/ui/welcome`);
    expect(await page.getByRole('main').textContent()).toContain(`You are signed in as ${email}`);
    await page.getByRole('navigation').getByRole('link', { name: 'Sign out' }).click();
    await page.waitForURL(`${base}/ui/welcome`);
  });

  it('shows a CSRF failure on the error page when the anti-CSRF cookie is gone', async () => {
    await page.goto(`${base}/ui/login`);
    await page.waitForURL(/\/ui\/login\?flow=/);
    const csrf = (await context.cookies()).filter((c) => c.name.startsWith('csrf_token_'));
    expect(csrf).toHaveLength(1);
    await context.clearCookies({ name: csrf[0].name });
    await page.getByLabel('E-Mail').fill(email);
    await page.getByLabel('Password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Sign in with password' }).click();
    await page.waitForURL(/\/ui\/error\?id=/);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Your request could not be verified');
    expect(await page.getByRole('alert').textContent()).toContain('security_csrf_violation');
  });

  it('changes the profile on the settings page: a bad e-mail is described at its field, a good one signs in', async () => {
    await page.goto(`${base}/ui/login`);
    await page.getByLabel('E-Mail').fill(email);
    await page.getByLabel('Password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Sign in with password' }).click();
    await page.waitForURL(`${base}/ui/welcome`);
    await page.getByRole('navigation').getByRole('link', { name: 'Account settings' }).click();
    await page.waitForURL(/\/ui\/settings\?flow=/);
    expect(await page.getByRole('heading', { level: 2 }).allTextContents()).toEqual(['Profile', 'Password', 'Active sessions']);
    expect(await page.getByLabel('E-Mail').inputValue()).toBe(email);

    await page.getByLabel('E-Mail').fill('not-an-address');
    await save('profile');
    await page.waitForURL(/\/ui\/settings\?flow=/);
    const field = page.getByLabel('E-Mail');
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator(`#${await field.getAttribute('aria-describedby')}`).getAttribute('data-message-id')).toBe('4000040');

    const renamed = uniqueEmail('chromium-renamed');
    await page.getByLabel('E-Mail').fill(renamed);
    await save('profile');
    await page.waitForURL(/\/ui\/settings\?flow=/);
    expect(await page.getByRole('alert').textContent()).toContain('Your changes have been saved!');
    expect(await page.getByRole('main').textContent()).toContain(`Signed in as ${renamed}`);
    await page.getByRole('navigation').getByRole('link', { name: 'Sign out' }).click();
    await page.waitForURL(`${base}/ui/welcome`);
    await page.goto(`${base}/ui/login`);
    await page.getByLabel('E-Mail').fill(renamed);
    await page.getByLabel('Password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Sign in with password' }).click();
    await page.waitForURL(`${base}/ui/welcome`);
    expect(await page.getByRole('main').textContent()).toContain(`You are signed in as ${renamed}`);
  });

  it('recovers the account from the sign-in page with the mailed code, then sets a new password', async () => {
    const address = uniqueEmail('chromium-recover');
    await signOutAndSignUp(address);
    await page.getByRole('navigation').getByRole('link', { name: 'Sign out' }).click();
    await page.waitForURL(`${base}/ui/welcome`);

    await page.goto(`${base}/ui/login`);
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.waitForURL(/\/ui\/recovery\?flow=/);
    expect(await page.title()).toBe('Recover your account');
    await page.getByLabel('Email').fill(address);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(/\/ui\/recovery\?flow=/);
    expect(await page.getByRole('alert').textContent()).toContain('An email containing a recovery code has been sent');
    const mail = await waitForMail(process.env.TEST_MAIL_DIR!, { to: address, subjectIncludes: 'recover access' }, 15_000);
    const code = /\b(\d{6})\b/.exec(mail.subject ?? '')![1];
    await page.getByLabel('Recovery code').fill(code === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(/\/ui\/recovery\?flow=/);
    expect(await page.getByRole('alert').textContent()).toContain('The recovery code is invalid or has already been used');
    await page.getByLabel('Recovery code').fill(code);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(/\/ui\/settings\?flow=/);
    expect(await page.getByRole('alert').textContent()).toContain('You successfully recovered your account');
    await page.getByLabel('Password').fill('a password set after recovery 5');
    await save('password');
    await page.waitForURL(/\/ui\/settings\?flow=/);
    expect(await page.getByRole('alert').textContent()).toContain('Your changes have been saved!');

    // The verification page opened by itself: the address, then the code mailed to it (its second verification
    // mail: the first came with the sign-up).
    await page.goto(`${base}/ui/verification`);
    await page.waitForURL(/\/ui\/verification\?flow=/);
    await page.getByLabel('Email').fill(address);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(/\/ui\/verification\?flow=/);
    const verifyMail = await nthMail(address, 'verify your account', 2);
    await page.getByLabel('Verification code').fill(/\b(\d{6})\b/.exec(verifyMail.subject ?? '')![1]);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(/\/ui\/verification\?flow=/);
    expect(await page.getByRole('alert').textContent()).toContain('You successfully verified your email address.');
  });

  it('verifies the e-mail address from the mailed link: the code is filled in, Continue confirms it', async () => {
    const address = uniqueEmail('chromium-verify');
    await signOutAndSignUp(address);
    const mail = await waitForMail(process.env.TEST_MAIL_DIR!, { to: address, subjectIncludes: 'verify your account' }, 15_000);
    const link = /(http\S+\/self-service\/verification\?code=\d{6}&flow=[0-9a-f-]+)/.exec(mail.text ?? '')![1];
    await page.goto(link);
    await page.waitForURL(/\/ui\/verification\?flow=/);
    expect(await page.title()).toBe('Verify your e-mail address');
    expect(await page.getByLabel('Verification code').inputValue()).toMatch(/^\d{6}$/);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(/\/ui\/verification\?flow=/);
    expect(await page.getByRole('alert').textContent()).toContain('You successfully verified your email address.');
    await page.getByRole('link', { name: 'Continue' }).click();
    await page.waitForURL(`${base}/ui/welcome`);
    expect(await page.getByRole('main').textContent()).toContain(`You are signed in as ${address}`);
  });
});

describe('identifier-first sign-in in Chromium (SELFSERVICE_FLOWS_LOGIN_STYLE=identifier_first)', () => {
  it('asks for the e-mail, then the password for it; an unknown e-mail is asked the same, and refused as a wrong password', async () => {
    const idBase = identifierFirstBaseUrl();
    const { email: known } = await registerVia(idBase, uniqueEmail('chromium-id-first'));
    // A context of its own: cookies are per host, not per port, and this stack shares the host with the other.
    const own = await browser.newContext();
    const tab = await own.newPage();
    const identify = async (address: string) => {
      await tab.getByLabel('E-Mail').fill(address);
      await tab.getByRole('button', { name: 'Continue' }).click();
      await tab.waitForURL(/\/ui\/login\?flow=/);
    };
    try {
      await tab.goto(`${idBase}/ui/login`);
      expect(await tab.getByLabel('Password').count()).toBe(0);
      await identify(uniqueEmail('chromium-nobody'));
      expect(await tab.getByRole('main').textContent()).toMatch(/Signing in as chromium-nobody-\S+@example\.com/);
      await tab.getByLabel('Password').fill(GOOD_PASSWORD);
      await tab.getByRole('button', { name: 'Sign in with password' }).click();
      await tab.waitForURL(/\/ui\/login\?flow=/);
      expect(await tab.getByRole('alert').textContent()).toContain('The provided credentials are invalid');

      await tab.getByRole('link', { name: 'Use another account' }).click();
      await tab.waitForURL(/\/ui\/login\?flow=/);
      await identify(known);
      expect(await tab.getByRole('main').textContent()).toContain(`Signing in as ${known}`);
      expect(await tab.locator(':focus').getAttribute('name')).toBe('password');
      await tab.getByLabel('Password').fill(GOOD_PASSWORD);
      await tab.getByRole('button', { name: 'Sign in with password' }).click();
      await tab.waitForURL(`${idBase}/ui/welcome`);
      expect(await tab.getByRole('main').textContent()).toContain(`You are signed in as ${known}`);
    } finally {
      await own.close();
    }
  });
});
