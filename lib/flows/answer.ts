/**
 * What a flow endpoint answers, before HTTP: a status with a JSON body or a browser redirect, and the cookies it
 * changes. `lib/http/browser.ts` turns it into a response (Set-Cookie, Location); nothing here knows the cookies'
 * names or attributes.
 */
export interface FlowAnswer {
  status: number;
  body?: unknown;
  /** A 303's Location. */
  location?: string;
  /** Issue the session cookie for this token. */
  session?: { token: string; expiresAt: Date };
  /** Expire the session cookie. */
  clearSession?: boolean;
  /** Set the anti-CSRF cookie to this token (a new one, or a rotation). */
  csrfToken?: string;
  /** Set the device cookie, vouching for these identities (the most recent first). */
  device?: string[];
}

export const jsonAnswer = (body: unknown, status = 200, extra: Partial<FlowAnswer> = {}): FlowAnswer => ({ status, body, ...extra });

export const redirectAnswer = (location: string, extra: Partial<FlowAnswer> = {}): FlowAnswer => ({ status: 303, location, ...extra });

/** `<url>?flow=<id>` (Kratos's flow.AppendTo), keeping the URL's own query. */
export function withQuery(url: string, params: Record<string, string | undefined>): string {
  const target = new URL(url);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) target.searchParams.set(name, value);
  return target.toString();
}
