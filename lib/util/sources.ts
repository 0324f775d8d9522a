/**
 * Where the operator's Jsonnet programs come from (claims mappers of social sign-in and of session tokens): a URL read
 * as Kratos's fetcher reads it. `base64://` inline, `file://` from the working directory (or from the
 * `oidc-mappers.json` a package ships beside the bundle: a Lambda zip has no project files), `http(s)://` fetched.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** What `npm run package` writes beside the bundles: every `file://` mapper of the configuration, by its URL. */
export const PACKAGED_MAPPERS_FILE = 'oidc-mappers.json';

/** The least of `fetch` a source needs (a traced fetch passes). */
export type SourceFetch = (url: string) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;

function packaged(): Record<string, string> | undefined {
  const dir = typeof __dirname === 'string' ? __dirname : undefined;
  const file = dir ? path.join(dir, PACKAGED_MAPPERS_FILE) : undefined;
  return file && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : undefined;
}

/** A `base64://` or `file://` source's text, read now (no network); undefined for any other scheme. */
export function readLocalSource(url: string): string | undefined {
  if (url.startsWith('base64://')) return Buffer.from(url.slice('base64://'.length), 'base64').toString('utf8');
  if (url.startsWith('file://')) {
    const shipped = packaged()?.[url];
    if (shipped !== undefined) return shipped;
    return readFileSync(path.resolve(process.cwd(), decodeURIComponent(url.slice('file://'.length))), 'utf8');
  }
  return undefined;
}

/** A source's text: local ones read at once, `http(s)://` fetched. */
export async function readSource(url: string, fetcher: SourceFetch = fetch): Promise<string> {
  const local = readLocalSource(url);
  if (local !== undefined) return local;
  const response = await fetcher(url);
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.text();
}
