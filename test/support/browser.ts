/**
 * A browser's HTTP side, for end-to-end tests without one: a cookie jar (Set-Cookie in, Cookie out, Max-Age=0
 * deletes), redirects not followed (each 303 is looked at), form posts as a browser sends them.
 */
export interface SetCookie {
  name: string;
  value: string;
  /** Attribute names lower-cased; flags are `true`. */
  attributes: Record<string, string | true>;
}

export function parseSetCookie(header: string): SetCookie {
  const [pair, ...parts] = header.split(';');
  const eq = pair.indexOf('=');
  const attributes: Record<string, string | true> = {};
  for (const part of parts) {
    const [key, ...rest] = part.trim().split('=');
    if (key) attributes[key.toLowerCase()] = rest.length ? rest.join('=') : true;
  }
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attributes };
}

export interface BrowserResponse {
  status: number;
  headers: Headers;
  /** The Location of a redirect, absolute. */
  location?: string;
  text: string;
  json: any;
  setCookies: SetCookie[];
  traceId?: string;
}

export class TestBrowser {
  readonly jar = new Map<string, string>();

  constructor(readonly base: string) {}

  cookie(name: string): string | undefined {
    return this.jar.get(name);
  }

  /** The jar's cookie whose name starts with `prefix` (the CSRF cookie's name ends in a hash). */
  cookieStartingWith(prefix: string): [string, string] | undefined {
    return [...this.jar].find(([name]) => name.startsWith(prefix));
  }

  cookieHeader(): string {
    return [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async request(
    method: string,
    pathOrUrl: string,
    options: { form?: Record<string, string>; json?: unknown; headers?: Record<string, string>; cookies?: boolean } = {},
  ): Promise<BrowserResponse> {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${this.base}${pathOrUrl}`;
    const headers: Record<string, string> = { ...options.headers };
    if (options.cookies !== false && this.jar.size > 0) headers.Cookie = this.cookieHeader();
    let body: string | undefined;
    if (options.form) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(options.form).toString();
    } else if (options.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers.Accept ??= 'application/json';
      body = JSON.stringify(options.json);
    }
    const res = await fetch(url, { method, headers, body, redirect: 'manual' });
    const text = await res.text();
    const setCookies = res.headers.getSetCookie().map(parseSetCookie);
    for (const cookie of setCookies) {
      const maxAge = cookie.attributes['max-age'];
      if (maxAge !== undefined && Number(maxAge) <= 0) this.jar.delete(cookie.name);
      else this.jar.set(cookie.name, cookie.value);
    }
    let json: unknown;
    try {
      json = text && /json/.test(res.headers.get('content-type') ?? '') ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    const location = res.headers.get('location') ?? undefined;
    const trace = /^00-([0-9a-f]{32})-/.exec(res.headers.get('traceresponse') ?? '');
    return { status: res.status, headers: res.headers, location: location ? new URL(location, url).toString() : undefined, text, json, setCookies, traceId: trace?.[1] };
  }

  get = (path: string, headers?: Record<string, string>) => this.request('GET', path, { headers });
  getJson = (path: string) => this.request('GET', path, { headers: { Accept: 'application/json' } });
  postForm = (path: string, form: Record<string, string>) => this.request('POST', path, { form, headers: { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
  postJson = (path: string, json: unknown, headers?: Record<string, string>) => this.request('POST', path, { json, headers });
}

/** The value of a flow's node. */
export function nodeValue(flow: any, name: string): any {
  return flow.ui.nodes.find((n: any) => n.attributes.name === name)?.attributes.value;
}

/** `?flow=` of a URL. */
export function flowIdOf(url: string | undefined): string {
  const id = url ? new URL(url).searchParams.get('flow') : null;
  if (!id) throw new Error(`no ?flow= in ${url}`);
  return id;
}
