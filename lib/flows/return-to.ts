/**
 * Where a browser may be sent afterwards (Kratos's x/redir SecureRedirectTo): a `return_to` is allowed when its
 * scheme matches an allowed URL's, its host matches exactly or a `*.example.com` suffix, and its path starts with the
 * allowed path. A relative `return_to` takes its scheme and host from the default return URL. Anything else is a 400
 * (`self_service_flow_return_to_forbidden`), never a redirect.
 */
import type { AllowedReturnUrl } from '../config/browser.js';
import { BadRequestError, ReturnToForbiddenError } from '../errors/index.js';

function allowedHost(host: string, allowed: string): boolean {
  return allowed.startsWith('*') ? host.endsWith(allowed.slice(1)) : host === allowed;
}

/** The return_to as an absolute URL once checked; undefined when there is none. Throws when it is not allowed. */
export function checkReturnTo(raw: string | undefined, allowlist: readonly AllowedReturnUrl[], defaultReturnUrl: string): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw, defaultReturnUrl);
  } catch {
    throw new BadRequestError(`Unable to parse the return_to query parameter as an URL: ${JSON.stringify(raw.slice(0, 200))}`);
  }
  const host = url.host.toLowerCase();
  const path = url.pathname || '/';
  for (const allowed of allowlist) {
    if (allowed.protocol === url.protocol && allowedHost(host, allowed.host) && path.startsWith(allowed.pathPrefix || '/')) return url.toString();
  }
  throw new ReturnToForbiddenError(url.toString());
}
