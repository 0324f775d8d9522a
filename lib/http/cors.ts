/**
 * CORS for the public API, as Kratos configures it (`serve.public.cors.*`, rs/cors semantics), answered by the
 * functions themselves so that it behaves the same behind API Gateway and under serverless-offline: an allowed
 * origin gets `Access-Control-Allow-Origin` (its own value), credentials and the exposed headers; a preflight
 * (`OPTIONS` with `Access-Control-Request-Method`, routed to the cors-preflight function) gets the method and headers
 * it asked for when all of them are allowed, and no grant otherwise. `*` allows every origin as rs/cors does, with a
 * literal `*` that browsers never combine with cookies: no page can read a signed-in user's answers through it. The
 * origin `null` (sandboxed frames, `file:` pages, some redirects) is never granted. The admin API has no grant at all.
 */
import type { CorsConfig } from '../config/browser.js';

/** How an origin is granted: by name (its own value, credentials as configured), by `*` (a literal `*`), or not. */
function grantOf(origin: string, allowed: readonly string[]): 'named' | 'any' | undefined {
  if (origin.trim().toLowerCase() === 'null') return undefined;
  if (matchesNamed(origin, allowed)) return 'named';
  return allowed.includes('*') ? 'any' : undefined;
}

function matchesNamed(origin: string, allowed: readonly string[]): boolean {
  const value = origin.toLowerCase();
  return allowed.some((entry) => {
    const pattern = entry.toLowerCase();
    if (pattern === '*') return false;
    const star = pattern.indexOf('*');
    if (star < 0) return pattern === value;
    const [prefix, suffix] = [pattern.slice(0, star), pattern.slice(star + 1)];
    return value.length > prefix.length + suffix.length && value.startsWith(prefix) && value.endsWith(suffix);
  });
}

/**
 * serverless-offline adds `Access-Control-Allow-Origin: <the request's Origin>` and credentials to every response to
 * a request with an Origin header, unless the response sets them itself; API Gateway adds nothing. Under it
 * (IS_OFFLINE), a request whose origin is not allowed is answered with the public base URL's own origin there,
 * which grants the caller nothing, as on AWS.
 */
function offlineDenial(publicOrigin: string): Record<string, string> {
  return process.env.IS_OFFLINE ? { 'Access-Control-Allow-Origin': publicOrigin, 'Access-Control-Allow-Credentials': 'false' } : {};
}

/** Under serverless-offline, which would add credentials to a `*` grant, the same answer as on AWS: none. */
const noCredentials = (): Record<string, string> => (process.env.IS_OFFLINE ? { 'Access-Control-Allow-Credentials': 'false' } : {});

/** The admin API's: no grant, whatever the origin. */
export function adminCorsHeaders(headers: Record<string, string>, publicOrigin: string): Record<string, string> {
  return headers.origin ? offlineDenial(publicOrigin) : {};
}

/** The CORS headers of an ordinary (not preflight) response. */
export function corsHeaders(cors: CorsConfig, headers: Record<string, string>, publicOrigin: string): Record<string, string> {
  const origin = headers.origin;
  if (!origin) return {};
  const grant = cors.enabled ? grantOf(origin, cors.allowedOrigins) : undefined;
  if (!grant) return { ...(cors.enabled ? { Vary: 'Origin' } : {}), ...offlineDenial(publicOrigin) };
  const out: Record<string, string> = { 'Access-Control-Allow-Origin': grant === 'any' ? '*' : origin, Vary: 'Origin' };
  if (grant === 'any') Object.assign(out, noCredentials());
  else if (cors.allowCredentials) out['Access-Control-Allow-Credentials'] = 'true';
  if (cors.exposedHeaders.length) out['Access-Control-Expose-Headers'] = cors.exposedHeaders.join(', ');
  return out;
}

/**
 * The answer to a preflight for `path`: 204, with a grant only when the origin, the method and every requested header
 * are allowed, and never for the admin API.
 */
export function preflight(cors: CorsConfig, headers: Record<string, string>, publicOrigin: string, path = '/'): { status: number; headers: Record<string, string> } {
  const vary = { Vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers' };
  const origin = headers.origin;
  const method = headers['access-control-request-method']?.trim().toUpperCase();
  const denied = { status: 204, headers: { ...vary, ...offlineDenial(publicOrigin) } };
  const admin = path === '/admin' || path.startsWith('/admin/');
  const grant = cors.enabled && origin && !admin ? grantOf(origin, cors.allowedOrigins) : undefined;
  if (!grant || !method) return denied;
  if (!cors.allowedMethods.includes(method)) return denied;
  const requested = (headers['access-control-request-headers'] ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  const allowedHeaders = new Set(cors.allowedHeaders.map((h) => h.toLowerCase()));
  if (!allowedHeaders.has('*') && requested.some((h) => !allowedHeaders.has(h.toLowerCase()))) return denied;
  const out: Record<string, string> = { ...vary, 'Access-Control-Allow-Origin': grant === 'any' ? '*' : origin!, 'Access-Control-Allow-Methods': method };
  if (requested.length) out['Access-Control-Allow-Headers'] = requested.join(', ');
  if (grant === 'any') Object.assign(out, noCredentials());
  else if (cors.allowCredentials) out['Access-Control-Allow-Credentials'] = 'true';
  if (cors.maxAgeSeconds > 0) out['Access-Control-Max-Age'] = String(cors.maxAgeSeconds);
  return { status: 204, headers: out };
}
