/**
 * Outgoing HTTP as a traced client span: `<METHOD> <path>` with the method, host, path template and status, never the
 * query, the body or a header (codes, tokens and client secrets travel there). What a provider call, a JWKS fetch or a
 * mapper download goes through.
 */
import { currentTraceparent, SpanKind, withSpan } from './span.js';

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface TracedFetchOptions {
  /** Per request (default 10 s): a provider that hangs fails the callback with a clear error, not the function's timeout. */
  timeoutMs?: number;
  /** The fetch underneath (tests: a recorder); the global one by default. */
  fetch?: FetchLike;
  /**
   * Send the client span's W3C `traceparent` (web hooks: the receiver's trace joins ours). Off for identity providers,
   * which have no use for our trace ids.
   */
  propagate?: boolean;
}

/** A fetch that traces each call as a client span and bounds its time. */
export function tracedFetch(options: TracedFetchOptions = {}): FetchLike {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = (init.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    return withSpan(
      `${method} ${url.pathname}`,
      { 'http.request.method': method, 'server.address': url.hostname, 'url.path': url.pathname },
      async (span) => {
        const signal = init.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
        const traceparent = options.propagate ? currentTraceparent() : undefined;
        const headers = traceparent ? { ...(init.headers as Record<string, string> | undefined), traceparent } : init.headers;
        const response = await (options.fetch ?? fetch)(input, { ...init, headers, signal });
        span.setAttributes({ 'http.response.status_code': response.status });
        return response;
      },
      SpanKind.CLIENT,
    );
  };
}
