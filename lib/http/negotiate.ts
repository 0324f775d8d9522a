/**
 * Content negotiation as Kratos does it (golang/gddo httputil.NegotiateContentType): the offer with the highest
 * quality in `Accept` wins; at equal quality an exact match beats `type/*`, which beats `*\/*`, and an earlier offer
 * beats a later one. No `Accept` header: the default.
 */
function parseAccept(header: string | undefined): { value: string; q: number }[] {
  if (!header) return [];
  return header.split(',').flatMap((part) => {
    const [value, ...params] = part.trim().split(';');
    if (!value) return [];
    let q = 1;
    for (const param of params) {
      const [key, raw] = param.trim().split('=');
      if (key?.trim().toLowerCase() === 'q') q = Number(raw);
    }
    return Number.isFinite(q) ? [{ value: value.trim().toLowerCase(), q }] : [];
  });
}

export function negotiate(accept: string | undefined, offers: readonly string[], fallback: string): string {
  let best = fallback;
  let bestQ = -1;
  let bestWild = 3;
  const specs = parseAccept(accept);
  for (const offer of offers) {
    for (const spec of specs) {
      if (spec.q === 0 || spec.q < bestQ) continue;
      if (spec.value === '*/*') {
        if (spec.q > bestQ || bestWild > 2) [best, bestQ, bestWild] = [offer, spec.q, 2];
      } else if (spec.value.endsWith('/*')) {
        if (offer.startsWith(spec.value.slice(0, -1)) && (spec.q > bestQ || bestWild > 1)) [best, bestQ, bestWild] = [offer, spec.q, 1];
      } else if (spec.value === offer && (spec.q > bestQ || bestWild > 0)) {
        [best, bestQ, bestWild] = [offer, spec.q, 0];
      }
    }
  }
  return best;
}

/** Kratos's x.IsJSONRequest: `Accept` negotiates to JSON, or the body is JSON. */
export function isJsonRequest(headers: Record<string, string>): boolean {
  return (
    negotiate(headers.accept, ['text/html', 'text/*', '*/*', 'application/json'], 'text/html') === 'application/json' ||
    (headers['content-type'] ?? '').split(';')[0].trim().toLowerCase() === 'application/json'
  );
}
