/**
 * A local stand-in for Have I Been Pwned's range API (`GET /range/<5 hex digits>` → `SUFFIX:COUNT` lines), serving a
 * given set of breached passwords among filler suffixes, and recording every path it was asked for.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The password the shared stack's range API knows as breached (the e2e suites' stack looks passwords up there). */
export const BREACHED_PASSWORD = 'breached e2e passphrase';
export const BREACHES = 4242;

export interface RangeServer {
  baseUrl: string;
  /** Every request's path, in order. */
  requests: string[];
  /** Answers every following request with this status (200 again with undefined). */
  failWith(status: number | undefined): void;
  close(): Promise<void>;
}

export const sha1Hex = (password: string) => createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();

export async function startRangeServer(breached: Record<string, number>): Promise<RangeServer> {
  const requests: string[] = [];
  let failure: number | undefined;
  const hashes = Object.entries(breached).map(([password, count]) => [sha1Hex(password), count] as const);
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const prefix = /^\/range\/([0-9A-F]{5})$/.exec(req.url ?? '')?.[1];
    if (failure !== undefined || !prefix) {
      res.writeHead(failure ?? 404).end();
      return;
    }
    const lines = hashes.filter(([hash]) => hash.startsWith(prefix)).map(([hash, count]) => `${hash.slice(5)}:${count}`);
    // Filler as the real API has (hundreds of suffixes per prefix), and padding lines (count 0) when asked for.
    for (let i = 0; i < 50; i++) lines.push(`${randomBytes(18).toString('hex').slice(0, 35).toUpperCase()}:${1 + i}`);
    if (req.headers['add-padding'] === 'true') for (let i = 0; i < 5; i++) lines.push(`${randomBytes(18).toString('hex').slice(0, 35).toUpperCase()}:0`);
    res.writeHead(200, { 'content-type': 'text/plain' }).end(lines.join('\r\n'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    failWith: (status) => {
      failure = status;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
