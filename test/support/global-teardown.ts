/**
 * Stops the shared stack, then reads everything the run exported or logged (spans of every receiver, the
 * output of every serverless-offline) and fails the run if a password, a bcrypt hash, a session token, the admin key,
 * a WebAuthn credential or challenge appears anywhere, or if a function made a DynamoDB call its role in
 * serverless.yml does not allow.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { LocalDatabase, RunningCourier, RunningOffline } from '../../scripts/local-stack.js';
import { PROJECT_ROOT } from '../../scripts/local-stack.js';
import { TEST_ENV } from './env.js';
import { checkDynamoGrants } from './iam-usage.js';
import type { RangeServer } from './pwned.js';
import type { SmtpReceiver } from './smtp.js';
import type { UdpSpanReceiver } from './trace-receivers.js';

/** Every password a test sends (string literals given as passwords in the test sources, 8+ characters). */
function testPasswords(): string[] {
  const passwords = new Set<string>();
  const dir = path.join(PROJECT_ROOT, 'test');
  const walk = (folder: string): string[] =>
    readdirSync(folder, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(folder, e.name)) : e.name.endsWith('.ts') ? [path.join(folder, e.name)] : []));
  for (const file of walk(dir)) {
    const text = readFileSync(file, 'utf8');
    // Not a hook list's variable (`..._AFTER_PASSWORD_HOOKS_0_HOOK: 'web_hook'`): a hook's name is no password.
    for (const [, value] of text.matchAll(/(?:password|PASSWORD)(?!\w*_HOOKS)\w*['"]?\s*[:=]\s*'([^'\n]{8,})'/g)) passwords.add(value);
  }
  return [...passwords];
}

export function findSecrets(text: string, passwords: string[]): string[] {
  const found: string[] = [];
  for (const [match] of text.matchAll(/ory_st_[A-Za-z0-9]{32}/g)) found.push(`session token ${match.slice(0, 12)}…`);
  for (const [match] of text.matchAll(/\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}/g)) found.push(`bcrypt hash ${match.slice(0, 10)}…`);
  if (text.includes(TEST_ENV.ADMIN_API_KEY)) found.push('the admin key');
  if (text.includes(TEST_ENV.SECRETS_COOKIE)) found.push('the cookie secret');
  for (const password of passwords) if (text.includes(password)) found.push(`password "${password.slice(0, 3)}…"`);
  // A passkey's or security key's response (its client data, base64url of {"type":"webauthn.…), and a challenge.
  if (/clientDataJSON|attestationObject|eyJ0eXBlIjoid2ViYXV0aG4u/.test(text)) found.push('a WebAuthn credential');
  if (/\\?"challenge\\?":/.test(text)) found.push('a WebAuthn challenge');
  return found;
}

export default async function globalTeardown(): Promise<void> {
  const stack = (globalThis as Record<string, unknown>).__LOCAL_STACK__ as
    | { database: LocalDatabase; offline: RunningOffline; idFirst?: RunningOffline; receiver: UdpSpanReceiver; courier?: RunningCourier; mail?: SmtpReceiver; pwned?: RangeServer }
    | undefined;
  await stack?.courier?.stop();
  await stack?.offline.stop();
  await stack?.idFirst?.stop();
  await stack?.mail?.close();
  await stack?.pwned?.close();
  await stack?.receiver.close();
  await stack?.database.stop();

  const dir = process.env.TEST_ARTIFACTS_DIR;
  if (!dir) return;
  const passwords = testPasswords();
  const problems: string[] = [];
  let scanned = 0;
  for (const file of readdirSync(dir)) {
    const text = readFileSync(path.join(dir, file), 'utf8');
    scanned += text.length;
    for (const secret of new Set(findSecrets(text, passwords))) problems.push(`${file}: ${secret}`);
  }
  const spanFiles = readdirSync(dir).filter((file) => file.startsWith('spans-')).map((file) => path.join(dir, file));
  const grants = checkDynamoGrants(spanFiles, path.join(PROJECT_ROOT, 'serverless.yml'));
  rmSync(dir, { recursive: true, force: true });
  if (stack?.mail) rmSync(stack.mail.folder, { recursive: true, force: true });
  if (problems.length > 0) {
    throw new Error(`Secrets found in exported spans or logs:\n${problems.slice(0, 20).join('\n')}`);
  }
  if (scanned === 0) throw new Error('The secret scan found nothing to read: spans and logs were not collected');
  if (grants.problems.length > 0) {
    throw new Error(`DynamoDB calls that serverless.yml's roles would refuse on AWS:\n${grants.problems.join('\n')}`);
  }
  const uncalled = [...grants.uncalled].map(([role, actions]) => `${role} ${actions.join(' ')}`).join('; ');
  process.stdout.write(`\nIAM check: every DynamoDB call of ${grants.functions} functions is allowed by its role in serverless.yml (allowed, not called in this run: ${uncalled || 'none'}).\n`);
  process.stdout.write(`\nSecret scan: ${(scanned / 1024).toFixed(0)} KiB of exported spans and logs, no password, hash, token, admin key or WebAuthn credential.\n`);
}
