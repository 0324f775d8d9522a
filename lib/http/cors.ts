/**
 * CORS for the public API, as Kratos configures it (`serve.public.cors.*`, rs/cors semantics), answered by the
 * functions themselves so that it behaves the same behind API Gateway and under serverless-offline: an allowed
 * origin gets `Access-Control-Allow-Origin` (its own value), credentials and the exposed headers; a preflight
 * (`OPTIONS` with `Access-Control-Request-Method`, routed to the cors-preflight function) gets the method and headers
 * it asked for when all of them are allowed, and no grant otherwise. The admin API has none.
 */
import type { CorsConfig } from '../config/browser.js';

function originAllowed(origin: string, allowed: readonly string[]): boolean {
  const value = origin.toLowerCase();
  return allowed.some((entry) => {
    const pattern = entry.toLowerCase();
    if (pattern === '*') return true;
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

/** The admin API's: no grant, whatever the origin. */
export function adminCorsHeaders(headers: Record<string, string>, publicOrigin: string): Record<string, string> {
  return headers.origin ? offlineDenial(publicOrigin) : {};
}

/** The CORS headers of an ordinary (not preflight) response. */
export function corsHeaders(cors: CorsConfig, headers: Record<string, string>, publicOrigin: string): Record<string, string> {
  const origin = headers.origin;
  if (!origin) return {};
  if (!cors.enabled || !originAllowed(origin, cors.allowedOrigins)) return { ...(cors.enabled ? { Vary: 'Origin' } : {}), ...offlineDenial(publicOrigin) };
  const out: Record<string, string> = { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' };
  if (cors.allowCredentials) out['Access-Control-Allow-Credentials'] = 'true';
  if (cors.exposedHeaders.length) out['Access-Control-Expose-Headers'] = cors.exposedHeaders.join(', ');
  return out;
}

/** The answer to a preflight: 204, with a grant only when the origin, the method and every requested header are allowed. */
export function preflight(cors: CorsConfig, headers: Record<string, string>, publicOrigin: string): { status: number; headers: Record<string, string> } {
  const vary = { Vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers' };
  const origin = headers.origin;
  const method = headers['access-control-request-method']?.trim().toUpperCase();
  const denied = { status: 204, headers: { ...vary, ...offlineDenial(publicOrigin) } };
  if (!cors.enabled || !origin || !method || !originAllowed(origin, cors.allowedOrigins)) return denied;
  if (!cors.allowedMethods.includes(method)) return denied;
  const requested = (headers['access-control-request-headers'] ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  const allowedHeaders = new Set(cors.allowedHeaders.map((h) => h.toLowerCase()));
  if (!allowedHeaders.has('*') && requested.some((h) => !allowedHeaders.has(h.toLowerCase()))) return denied;
  const out: Record<string, string> = { ...vary, 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Methods': method };
  if (requested.length) out['Access-Control-Allow-Headers'] = requested.join(', ');
  if (cors.allowCredentials) out['Access-Control-Allow-Credentials'] = 'true';
  if (cors.maxAgeSeconds > 0) out['Access-Control-Max-Age'] = String(cors.maxAgeSeconds);
  return { status: 204, headers: out };
}
