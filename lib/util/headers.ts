/** Header names lower-cased (API Gateway REST events keep the caller's case); repeated names joined as HTTP does. */
export function lowerCaseHeaders(headers: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers || typeof headers !== 'object') return out;
  for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
    if (typeof value !== 'string') continue;
    const key = name.toLowerCase();
    out[key] = out[key] === undefined ? value : `${out[key]}, ${value}`;
  }
  return out;
}

/**
 * The scheme and host a request was made to (lower-cased headers): the proxy's `X-Forwarded-*` first (API Gateway
 * sets them), else the Host header; a loopback host without a forwarded scheme is plain http.
 */
export function requestOrigin(headers: Record<string, string>): { scheme: string; host: string } {
  const host = (headers['x-forwarded-host'] ?? headers.host ?? 'localhost').split(',')[0].trim();
  const scheme = (headers['x-forwarded-proto'] ?? (/^(localhost|127\.|\[::1\])/.test(host) ? 'http' : 'https')).split(',')[0].trim();
  return { scheme, host };
}
