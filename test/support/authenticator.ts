/**
 * A software authenticator for flow tests: an ES256 key pair per credential, real attestation (`none`) and assertion
 * responses made with node:crypto, encoded as webauthn.js posts them (JSON, base64url fields). The CBOR encoder is
 * @simplewebauthn/server's (tiny-cbor, which the library itself decodes with).
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest();

export interface SoftCredential {
  id: Buffer;
  privateKey: KeyObject;
  cose: Uint8Array;
  userHandle: Buffer;
  rpId: string;
  counter: number;
}

const FLAG = { up: 0x01, uv: 0x04, be: 0x08, bs: 0x10, at: 0x40 };

function counterBytes(counter: number) {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(counter);
  return out;
}

/** The `publicKey` options of a flow's node value (`{"publicKey":...}`, or passkey registration's `credentialOptions`). */
export function publicKeyOf(nodeValue: unknown): Record<string, any> {
  const parsed = JSON.parse(String(nodeValue));
  return (parsed.credentialOptions ?? parsed).publicKey;
}

export interface CeremonyOptions {
  origin?: string;
  /** Override the challenge the client data carries (a replay from another flow). */
  challenge?: string;
  userVerified?: boolean;
}

/** Makes a credential for `options` (a registration's publicKey) and the JSON webauthn.js would post. */
export function createCredential(publicKey: Record<string, any>, over: CeremonyOptions = {}): { credential: SoftCredential; response: string } {
  const { privateKey, publicKey: pub } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = pub.export({ format: 'jwk' });
  const cose = isoCBOR.encode(
    new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, new Uint8Array(Buffer.from(jwk.x!, 'base64url'))],
      [-3, new Uint8Array(Buffer.from(jwk.y!, 'base64url'))],
    ]),
  );
  const id = randomBytes(16);
  const rpId = publicKey.rp.id as string;
  const credentialLength = Buffer.alloc(2);
  credentialLength.writeUInt16BE(id.length);
  const flags = FLAG.up | FLAG.at | (over.userVerified === false ? 0 : FLAG.uv);
  const authData = Buffer.concat([sha256(rpId), Buffer.from([flags]), counterBytes(0), Buffer.alloc(16), credentialLength, id, Buffer.from(cose)]);
  const clientData = JSON.stringify({ type: 'webauthn.create', challenge: over.challenge ?? publicKey.challenge, origin: over.origin ?? `http://${rpId}`, crossOrigin: false });
  const attestationObject = isoCBOR.encode(new Map<string, unknown>([['fmt', 'none'], ['attStmt', new Map()], ['authData', new Uint8Array(authData)]]) as never);
  const response = JSON.stringify({
    id: b64url(id),
    rawId: b64url(id),
    type: 'public-key',
    response: { attestationObject: b64url(attestationObject), clientDataJSON: b64url(Buffer.from(clientData)) },
  });
  return { credential: { id, privateKey, cose, userHandle: Buffer.from(publicKey.user.id, 'base64url'), rpId, counter: 0 }, response };
}

/** An assertion of `credential` for `publicKey` (a login's options), as webauthn.js posts it; the counter rises unless `counter` says. */
export function assert(credential: SoftCredential, publicKey: Record<string, any>, over: CeremonyOptions & { counter?: number } = {}): string {
  credential.counter = over.counter ?? credential.counter + 1;
  const flags = FLAG.up | (over.userVerified === false ? 0 : FLAG.uv);
  const authData = Buffer.concat([sha256(publicKey.rpId ?? credential.rpId), Buffer.from([flags]), counterBytes(credential.counter)]);
  const clientData = Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge: over.challenge ?? publicKey.challenge, origin: over.origin ?? `http://${credential.rpId}`, crossOrigin: false }));
  const signature = sign('sha256', Buffer.concat([authData, sha256(clientData)]), credential.privateKey);
  return JSON.stringify({
    id: b64url(credential.id),
    rawId: b64url(credential.id),
    type: 'public-key',
    response: { authenticatorData: b64url(authData), clientDataJSON: b64url(clientData), signature: b64url(signature), userHandle: b64url(credential.userHandle) },
  });
}
