/** What a flow endpoint knows about the caller (lib/http/browser.ts reads it from the HTTP request). */
import type { ClientInfo } from '../session/model.js';

/** What a browser request carries besides the session (lib/http/browser.ts reads it from the HTTP request). */
export interface BrowserRequest {
  /** The token of the anti-CSRF cookie; undefined when there is none (or it is malformed). */
  csrfCookie?: string;
  /** Whether the request had a Cookie header at all (for the CSRF error's reason). */
  anyCookie: boolean;
  /** `X-CSRF-Token`. */
  csrfHeader?: string;
  /** `Sec-Fetch-Mode` says a script made the request (for the CSRF error's hint). */
  ajax: boolean;
  /** Kratos's IsJSONRequest: answer with JSON (`Accept` negotiates to it, or a JSON body), not with redirects. */
  json: boolean;
  /** The identities this browser signed in to before, as its device cookie vouches (none without one). */
  knownIdentities?: string[];
}

/** What a flow endpoint knows about the caller. */
export interface FlowRequest extends ClientInfo {
  requestUrl: string;
  /** The session token: X-Session-Token, then the session cookie, then Authorization: Bearer (Kratos's order). */
  sessionToken?: string;
  origin?: string;
  /** A cookie other than Cloudflare's (`__cf*`, `_cf*`, `cf_*`), which Kratos ignores. */
  hasCookie: boolean;
  browser: BrowserRequest;
  /** The HTTP request's method and headers (lower-case names), for web hooks' `ctx`. */
  http?: { method: string; headers: Record<string, string> };
}
