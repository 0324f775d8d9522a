/**
 * A real SMTP server for the tests (npm smtp-server): every message it receives is written, raw, into a folder
 * (one .eml file each); `waitForMail` reads them back with mailparser. The shared one is started by the global setup
 * (its folder is TEST_MAIL_DIR); a test may start its own, e.g. late on a port the courier already failed on.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface SmtpReceiver {
  port: number;
  folder: string;
  /** smtp://127.0.0.1:<port>/?disable_starttls=true: a courier's COURIER_SMTP_CONNECTION_URI for this server. */
  connectionUri: string;
  close(): Promise<void>;
}

let written = 0;

/** Starts an SMTP server on 127.0.0.1 (`port` 0 = any free one) that writes what it receives into `folder`. */
export async function startSmtpReceiver(options: { port?: number; folder?: string } = {}): Promise<SmtpReceiver> {
  const folder = options.folder ?? mkdtempSync(path.join(tmpdir(), 'kratos-test-mail-'));
  mkdirSync(folder, { recursive: true });
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const name = `${Date.now()}-${process.pid}-${++written}.eml`;
        // Written whole, then renamed: a reader never sees half a message.
        writeFileSync(path.join(folder, `.${name}.tmp`), Buffer.concat(chunks));
        renameSync(path.join(folder, `.${name}.tmp`), path.join(folder, name));
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  server.on('error', () => {}); // a client that hangs up is not the test's failure
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    folder,
    connectionUri: `smtp://127.0.0.1:${port}/?disable_starttls=true`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface MailFilter {
  to: string;
  subjectIncludes?: string;
}

const recipients = (mail: ParsedMail) =>
  ([] as AddressObject[])
    .concat(mail.to ?? [])
    .flatMap((group) => group.value.map((a) => (a.address ?? '').toLowerCase()));

/** Every message in `folder` to `filter.to` (and whose subject includes `subjectIncludes`), oldest first. */
export async function mailsIn(folder: string, filter: MailFilter): Promise<ParsedMail[]> {
  const files = readdirSync(folder).filter((f) => f.endsWith('.eml')).sort();
  const mails = await Promise.all(files.map((f) => simpleParser(readFileSync(path.join(folder, f)))));
  return mails.filter((mail) => recipients(mail).includes(filter.to.toLowerCase()) && (!filter.subjectIncludes || (mail.subject ?? '').includes(filter.subjectIncludes)));
}

/** The first message to `filter.to` that arrives in `folder` within `timeoutMs`; throws when none does. */
export async function waitForMail(folder: string, filter: MailFilter, timeoutMs = 10_000): Promise<ParsedMail> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await mailsIn(folder, filter);
    if (found.length > 0) return found[0];
    if (Date.now() > deadline) throw new Error(`no mail to ${filter.to}${filter.subjectIncludes ? ` with "${filter.subjectIncludes}"` : ''} in ${folder} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The shared receiver's folder (started by the global setup). */
export function testMailDir(): string {
  const dir = process.env.TEST_MAIL_DIR;
  if (!dir) throw new Error('TEST_MAIL_DIR is not set: the Jest global setup did not run');
  return dir;
}
