/**
 * The client's address, as the login throttle and the sessions' devices record it: API Gateway's source address (the
 * peer that connected), never a header a client can write, unless that peer is a proxy the operator trusts
 * (SERVE_PUBLIC_TRUSTED_PROXIES: a CloudFront or load balancer in front); then the first address of
 * `X-Forwarded-For`, read from the right, that is not a trusted proxy itself.
 */
import { BlockList, isIP } from 'node:net';

/** The trusted proxies, as Node matches addresses and subnets. */
export function trustedProxyList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix] = entry.split('/');
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return list;
}

const trusted = (list: BlockList, address: string) => {
  const kind = isIP(address);
  return kind !== 0 && list.check(address, kind === 6 ? 'ipv6' : 'ipv4');
};

export function clientAddress(sourceIp: string | undefined, forwardedFor: string | undefined, proxies: BlockList | undefined): string | undefined {
  if (!sourceIp || !proxies || !forwardedFor || !trusted(proxies, sourceIp)) return sourceIp;
  const hops = forwardedFor
    .split(',')
    .map((hop) => hop.trim())
    .filter((hop) => isIP(hop) !== 0);
  for (let i = hops.length - 1; i >= 0; i--) if (!trusted(proxies, hops[i])) return hops[i];
  return hops[0] ?? sourceIp;
}
