import { jest } from '@jest/globals';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../lib/config/index.js';
import { createBreachCheck, parseRange } from '../../lib/identity/breached-passwords.js';
import { setLogLevel } from '../../lib/log/index.js';
import { sha1Hex, startRangeServer, type RangeServer } from '../support/pwned.js';

const BREACHED = 'password123456';
let range: RangeServer;
const logged: string[] = [];

beforeAll(async () => {
  range = await startRangeServer({ [BREACHED]: 52_000, 'seen-once-only': 1 });
  setLogLevel('warn');
  jest.spyOn(process.stderr, 'write').mockImplementation(((chunk: unknown) => logged.push(String(chunk))) as never);
});
afterAll(async () => {
  jest.restoreAllMocks();
  setLogLevel('silent');
  await range.close();
});
beforeEach(() => {
  range.requests.length = 0;
  range.failWith(undefined);
  logged.length = 0;
});

/** A port nothing listens on: connections are refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('breached-password check', () => {
  it('refuses a breached password with Kratos message 4000034 and its count, sending 5 hex digits of the SHA-1 only', async () => {
    const check = createBreachCheck({ baseUrl: range.baseUrl, maxBreaches: 0, ignoreNetworkErrors: true });
    expect(await check(BREACHED, [])).toEqual({
      id: 4000034,
      text: 'The password has been found in data breaches and must no longer be used.',
      type: 'error',
      context: { breaches: 52_000 },
    });
    expect(range.requests).toEqual([`/range/${sha1Hex(BREACHED).slice(0, 5)}`]);
    expect(await check('a fresh and unlisted passphrase', [])).toBeUndefined();
    expect(range.requests[1]).toMatch(/^\/range\/[0-9A-F]{5}$/);
    expect(range.requests.join()).not.toContain(sha1Hex(BREACHED).slice(5, 10));
  });

  it('allows up to MAX_BREACHES appearances', async () => {
    const lenient = createBreachCheck({ baseUrl: range.baseUrl, maxBreaches: 1, ignoreNetworkErrors: true });
    expect(await lenient('seen-once-only', [])).toBeUndefined();
    expect((await lenient(BREACHED, []))?.id).toBe(4000034);
  });

  it('asks the range API once per password per hour', async () => {
    let now = 1_000_000;
    const check = createBreachCheck({ baseUrl: range.baseUrl, maxBreaches: 0, ignoreNetworkErrors: true, now: () => now });
    await check(BREACHED, []);
    await check(BREACHED, []);
    expect(range.requests).toHaveLength(1);
    now += 3_600_001;
    expect((await check(BREACHED, []))?.id).toBe(4000034);
    expect(range.requests).toHaveLength(2);
  });

  it('lets passwords through when the API is unreachable, logging that once, and pauses lookups for a while', async () => {
    let now = 5_000_000;
    const check = createBreachCheck({ baseUrl: `http://127.0.0.1:${await closedPort()}`, maxBreaches: 0, ignoreNetworkErrors: true, now: () => now });
    expect(await check(BREACHED, [])).toBeUndefined();
    expect(await check('another password', [])).toBeUndefined();
    now += 60_001;
    expect(await check('a third password', [])).toBeUndefined();
    const lines = logged.filter((line) => line.includes('breached-password lookup failed'));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'warn', reason: expect.stringContaining('ECONNREFUSED') });
  });

  it('lets passwords through on an unexpected status, then checks again once the pause is over', async () => {
    let now = 9_000_000;
    const check = createBreachCheck({ baseUrl: range.baseUrl, maxBreaches: 0, ignoreNetworkErrors: true, now: () => now });
    range.failWith(503);
    expect(await check(BREACHED, [])).toBeUndefined();
    range.failWith(undefined);
    expect(await check(BREACHED, [])).toBeUndefined();
    expect(range.requests).toHaveLength(1);
    now += 60_001;
    expect((await check(BREACHED, []))?.id).toBe(4000034);
  });

  it('refuses the password when lookups fail and IGNORE_NETWORK_ERRORS is off', async () => {
    const strict = createBreachCheck({ baseUrl: range.baseUrl, maxBreaches: 0, ignoreNetworkErrors: false });
    range.failWith(500);
    expect(await strict('anything at all', [])).toMatchObject({ id: 4000005, context: { reason: 'the breached password check could not be completed' } });
    expect(await strict('anything at all', [])).toMatchObject({ id: 4000005 });
    expect(range.requests).toHaveLength(2);
  });

  it('reads the range format as Kratos does', () => {
    expect(parseRange('0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n00D4F6E8FA6EECAD2A3AA415EEC418D38EC:2\n')).toEqual(
      new Map([
        ['0018A45C4D1DEF81644B54AB7F969B88D65', 1],
        ['00D4F6E8FA6EECAD2A3AA415EEC418D38EC', 2],
      ]),
    );
    // No count: once (ory/kratos#2145); thousands separators are read.
    expect(parseRange('0018A45C4D1DEF81644B54AB7F969B88D65\n00D4F6E8FA6EECAD2A3AA415EEC418D38EC:1,234')?.get('00D4F6E8FA6EECAD2A3AA415EEC418D38EC')).toBe(1234);
    expect(parseRange('0018A45C4D1DEF81644B54AB7F969B88D65')?.get('0018A45C4D1DEF81644B54AB7F969B88D65')).toBe(1);
    expect(parseRange('<html>captive portal</html>')).toBeUndefined();
    expect(parseRange('0018A45C4D1DEF81644B54AB7F969B88D65:many')).toBeUndefined();
  });

  it('is configured with Kratos variables, on by default against api.pwnedpasswords.com', () => {
    expect(loadConfig({}).breachCheck).toEqual({ enabled: true, baseUrl: 'https://api.pwnedpasswords.com', maxBreaches: 0, ignoreNetworkErrors: true });
    const config = loadConfig({
      SELFSERVICE_METHODS_PASSWORD_CONFIG_HAVEIBEENPWNED_ENABLED: 'false',
      SELFSERVICE_METHODS_PASSWORD_CONFIG_HAVEIBEENPWNED_HOST: 'hibp.internal:8443',
      SELFSERVICE_METHODS_PASSWORD_CONFIG_MAX_BREACHES: '3',
      SELFSERVICE_METHODS_PASSWORD_CONFIG_IGNORE_NETWORK_ERRORS: 'false',
    }).breachCheck;
    expect(config).toEqual({ enabled: false, baseUrl: 'https://hibp.internal:8443', maxBreaches: 3, ignoreNetworkErrors: false });
    expect(loadConfig({ SELFSERVICE_METHODS_PASSWORD_CONFIG_HAVEIBEENPWNED_HOST: 'http://127.0.0.1:8080/' }).breachCheck.baseUrl).toBe('http://127.0.0.1:8080');
    expect(() => loadConfig({ SELFSERVICE_METHODS_PASSWORD_CONFIG_HAVEIBEENPWNED_HOST: 'ftp://x' })).toThrow(/HAVEIBEENPWNED_HOST must be a host name/);
    expect(() => loadConfig({ SELFSERVICE_METHODS_PASSWORD_CONFIG_MAX_BREACHES: '101' })).toThrow(/MAX_BREACHES must be a whole number from 0 to 100/);
  });
});
