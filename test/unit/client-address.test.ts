/** The client's address: API Gateway's source, or X-Forwarded-For only through proxies the operator trusts. */
import { clientAddress, trustedProxyList } from '../../lib/http/client-address.js';

describe('the client address', () => {
  const proxies = trustedProxyList(['10.0.0.0/8', '2001:db8::1']);

  it('is the source address, whatever X-Forwarded-For says, unless the source is a trusted proxy', () => {
    expect(clientAddress('198.51.100.7', '203.0.113.9', proxies)).toBe('198.51.100.7');
    expect(clientAddress('198.51.100.7', '203.0.113.9', undefined)).toBe('198.51.100.7');
    expect(clientAddress('10.1.2.3', undefined, proxies)).toBe('10.1.2.3');
  });

  it('reads X-Forwarded-For from the right, past every trusted proxy, and ignores what is not an address', () => {
    expect(clientAddress('10.1.2.3', '203.0.113.9', proxies)).toBe('203.0.113.9');
    // A client can prepend anything; only the hop the proxies saw counts.
    expect(clientAddress('10.1.2.3', '1.1.1.1, 203.0.113.9, 10.9.9.9', proxies)).toBe('203.0.113.9');
    expect(clientAddress('2001:db8::1', 'not-an-ip, 2001:db8::42', proxies)).toBe('2001:db8::42');
    expect(clientAddress('10.1.2.3', '10.2.2.2, 10.3.3.3', proxies)).toBe('10.2.2.2');
    expect(clientAddress('10.1.2.3', 'garbage', proxies)).toBe('10.1.2.3');
  });
});
