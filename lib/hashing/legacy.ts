/**
 * The password hashes Kratos imports besides bcrypt (hash/hash_comparator.go), checked with node:crypto only (no native
 * addon: a Lambda bundle must never need a compiler): argon2id and argon2i, PBKDF2, scrypt, Firebase's scrypt, salted
 * SHA (`{SSHA}`, `{SSHA256}`, `{SSHA512}`), SHA with a pattern (`$sha1$`, `$sha256$`, `$sha512$`), MD5 (plain or with a
 * pattern) and HMAC. Each is read exactly as Kratos reads it (its quirks included: plain scrypt's `ln` is N itself,
 * PBKDF2's `sha224`/`sha384` are SHA3) and within Kratos's bounds on its cost parameters, so an imported hash cannot
 * make a login allocate or compute without limit. The crypt(3) forms Kratos reads (`$md5-crypt$`, `$sha256-crypt$`,
 * `$sha512-crypt$`: glibc's `$1$`, `$5$`, `$6$` under Kratos's names) are computed here step by step from node:crypto's
 * MD5 and SHA-2, as their specifications (Poul-Henning Kamp's md5crypt, Ulrich Drepper's SHA-crypt) describe them.
 * Not here: HMAC-MD4 (which OpenSSL 3 no longer offers); it is refused at import.
 *
 * Written by hand (the formats' parsing only): no maintained library reads Kratos's encodings, and the algorithms
 * themselves are node:crypto's.
 */
import { argon2, createCipheriv, createHash, createHmac, pbkdf2, scrypt, timingSafeEqual, type BinaryLike } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);
const scryptAsync = (password: BinaryLike, salt: BinaryLike, keylen: number, options: { N: number; r: number; p: number; maxmem: number }) =>
  new Promise<Buffer>((resolve, reject) => scrypt(password, salt, keylen, options, (error, key) => (error ? reject(error) : resolve(key))));
const argon2Async = (algorithm: 'argon2id' | 'argon2i', parameters: { message: string; nonce: Buffer; parallelism: number; tagLength: number; memory: number; passes: number }) =>
  new Promise<Buffer>((resolve, reject) => argon2(algorithm, parameters, (error, key) => (error ? reject(error) : resolve(key))));

// Kratos's bounds (hash/hash_limits.go).
const MAX_SCRYPT_LOG_N = 17;
const MAX_SCRYPT_N = 1 << 17;
const MAX_SCRYPT_R = 8;
const MAX_SCRYPT_P = 10;
const MAX_ARGON2_MEMORY_KIB = 1 << 20;
const MAX_ARGON2_ITERATIONS = 10;
const MAX_ARGON2_PARALLELISM = 16;
const MAX_PBKDF2_ITERATIONS = 10_000_000;
/**
 * Ours (Kratos bounds no crypt(3) hash): SHA-crypt's rounds. glibc's default is 5,000, passlib's 535,000 (SHA-256)
 * and 656,000 (SHA-512); a million bounds what one login may cost (about a second) before its rehash to bcrypt.
 */
const MAX_SHA_CRYPT_ROUNDS = 1_000_000;

/** A hash this module reads: its algorithm, named as Kratos's README names it. */
export type LegacyHashKind = 'argon2id' | 'argon2i' | 'pbkdf2' | 'scrypt' | 'firescrypt' | 'ssha' | 'sha' | 'md5' | 'hmac' | 'md5crypt' | 'sha256crypt' | 'sha512crypt';

const KINDS: [RegExp, LegacyHashKind][] = [
  [/^\$argon2id\$/, 'argon2id'],
  [/^\$argon2i\$/, 'argon2i'],
  [/^\$pbkdf2-sha[0-9]{1,3}\$/, 'pbkdf2'],
  [/^\$scrypt\$/, 'scrypt'],
  [/^\$firescrypt\$/, 'firescrypt'],
  [/^\{SSHA(256|512)?\}/, 'ssha'],
  [/^\$sha(1|256|512)\$/, 'sha'],
  [/^\$md5\$/, 'md5'],
  [/^\$hmac-(md5|sha1|sha224|sha256|sha384|sha512)\$/, 'hmac'],
  [/^\$md5-crypt\$/, 'md5crypt'],
  [/^\$sha256-crypt\$/, 'sha256crypt'],
  [/^\$sha512-crypt\$/, 'sha512crypt'],
];

/** Which of these formats `hash` is in; undefined for any other (bcrypt included). */
export const legacyHashKind = (hash: string): LegacyHashKind | undefined => KINDS.find(([pattern]) => pattern.test(hash))?.[1];

/** A hash that cannot be read (malformed, or its parameters out of bounds). */
export class InvalidLegacyHashError extends Error {
  override name = 'InvalidLegacyHashError';
}

const invalid = (why: string) => new InvalidLegacyHashError(why);

/** Go's base64 decoders, strictly: standard alphabet, with (`padded`) or without padding. */
function base64(text: string, padded: boolean): Buffer {
  const pattern = padded ? /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/ : /^[A-Za-z0-9+/]*$/;
  if (!pattern.test(text) || (!padded && text.length % 4 === 1)) throw invalid('bad base64');
  return Buffer.from(text, 'base64');
}

/** `a=1,b=2` with exactly these names, as whole numbers. */
function params(text: string, names: string[]): number[] {
  const match = new RegExp(`^${names.map((n) => `${n}=(\\d{1,10})`).join(',')}$`).exec(text);
  if (!match) throw invalid(`expected ${names.join(',')}`);
  return match.slice(1).map(Number);
}

const same = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);

const SHA: Record<string, string> = { sha1: 'sha1', sha256: 'sha256', sha512: 'sha512' };
const PBKDF2_DIGEST: Record<string, string> = { sha1: 'sha1', sha224: 'sha3-224', sha256: 'sha256', sha384: 'sha3-384', sha512: 'sha512' };

/**
 * Whether `password` matches `hash` (one of the formats above). Throws InvalidLegacyHashError for a hash that cannot
 * be read; import refuses those (isReadableLegacyHash), so a stored one is never one.
 */
export async function compareLegacyHash(password: string, hash: string): Promise<boolean> {
  return readLegacyHash(hash)(password);
}

/**
 * Reads a hash (its format and parameters, nothing computed): the check of its password, or InvalidLegacyHashError.
 */
export function readLegacyHash(hash: string): (password: string) => Promise<boolean> {
  const kind = legacyHashKind(hash);
  const parts = hash.split('$');
  switch (kind) {
    case 'argon2id':
    case 'argon2i': {
      if (parts.length !== 6 || parts[2] !== 'v=19') throw invalid('argon2: $argon2id$v=19$m=,t=,p=$salt$hash');
      const [memory, passes, parallelism] = params(parts[3], ['m', 't', 'p']);
      if (!memory || memory > MAX_ARGON2_MEMORY_KIB || !passes || passes > MAX_ARGON2_ITERATIONS || !parallelism || parallelism > MAX_ARGON2_PARALLELISM) throw invalid('argon2 parameters out of bounds');
      const salt = base64(parts[4], false);
      const expected = base64(parts[5], false);
      if (salt.length < 8 || expected.length < 4) throw invalid('argon2 salt or key too short');
      return async (password) => same(await argon2Async(kind, { message: password, nonce: salt, parallelism, tagLength: expected.length, memory: Math.max(memory, 8 * parallelism), passes }), expected);
    }
    case 'pbkdf2': {
      if (parts.length !== 5) throw invalid('pbkdf2: $pbkdf2-<digest>$i=,l=$salt$hash');
      const digest = PBKDF2_DIGEST[parts[1].slice('pbkdf2-'.length)] ?? 'sha256';
      const [iterations] = params(parts[2], ['i', 'l']);
      if (!iterations || iterations > MAX_PBKDF2_ITERATIONS) throw invalid('pbkdf2 iterations out of bounds');
      const salt = base64(parts[3], false);
      const expected = base64(parts[4], false);
      if (expected.length === 0) throw invalid('pbkdf2 key empty');
      return async (password) => same(await pbkdf2Async(password, salt, iterations, expected.length, digest), expected);
    }
    case 'scrypt': {
      if (parts.length !== 5) throw invalid('scrypt: $scrypt$ln=,r=,p=$salt$hash');
      // Kratos passes `ln` to scrypt as N itself.
      const [n, r, p] = params(parts[2], ['ln', 'r', 'p']);
      if (!n || n > MAX_SCRYPT_N || (n & (n - 1)) !== 0 || !r || r > MAX_SCRYPT_R || !p || p > MAX_SCRYPT_P) throw invalid('scrypt parameters out of bounds');
      const salt = base64(parts[3], true);
      const expected = base64(parts[4], true);
      if (expected.length === 0) throw invalid('scrypt key empty');
      return async (password) => same(await scryptAsync(password, salt, expected.length, { N: n, r, p, maxmem: 256 * n * r + (1 << 20) }), expected);
    }
    case 'firescrypt': {
      if (parts.length !== 7) throw invalid('firescrypt: $firescrypt$ln=,r=,p=$salt$hash$separator$signerKey');
      const [logN, r, p] = params(parts[2], ['ln', 'r', 'p']);
      if (logN > MAX_SCRYPT_LOG_N || !r || r > MAX_SCRYPT_R || !p || p > MAX_SCRYPT_P) throw invalid('firescrypt parameters out of bounds');
      const salt = base64(parts[3], true);
      const expected = base64(parts[4], true);
      const separator = base64(parts[5], true);
      const signerKey = base64(parts[6], true);
      const n = 1 << logN;
      return async (password) => {
        const key = await scryptAsync(password, Buffer.concat([salt, separator]), 32, { N: n, r, p, maxmem: 256 * n * r + (1 << 20) });
        // Firebase's hash: the signer key encrypted with AES-256-CTR under the derived key, a zero IV.
        const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
        return same(Buffer.concat([cipher.update(signerKey), cipher.final()]), expected);
      };
    }
    case 'ssha': {
      const [, name] = /^\{(SSHA(?:256|512)?)\}/.exec(hash)!;
      const [algorithm, size] = name === 'SSHA' ? ['sha1', 20] : name === 'SSHA256' ? ['sha256', 32] : ['sha512', 64];
      const decoded = Buffer.from(hash.slice(name.length + 2), 'base64');
      if (decoded.length < size + 1) throw invalid('ssha too short');
      const salt = decoded.subarray(size);
      return async (password) => same(createHash(algorithm).update(Buffer.concat([Buffer.from(password), salt])).digest(), decoded.subarray(0, size));
    }
    case 'sha': {
      if (parts.length !== 5) throw invalid('sha: $sha256$pf=<base64 pattern>$salt$hash');
      const pattern = base64(parts[2].replace(/^pf=/, ''), true).toString();
      if (!parts[2].startsWith('pf=')) throw invalid('sha: pf= expected');
      const salt = base64(parts[3], true);
      const expected = base64(parts[4], true);
      return async (password) => same(createHash(SHA[parts[1]]).update(withPattern(pattern, salt, password)).digest(), expected);
    }
    case 'md5': {
      if (parts.length === 3) {
        const expected = base64(parts[2], true);
        return async (password) => same(createHash('md5').update(password).digest(), expected);
      }
      if (parts.length !== 5 || !parts[2].startsWith('pf=')) throw invalid('md5: $md5$hash or $md5$pf=$salt$hash');
      const pattern = base64(parts[2].slice(3), true).toString();
      const salt = base64(parts[3], true);
      const expected = base64(parts[4], true);
      return async (password) => same(createHash('md5').update(withPattern(pattern, salt, password)).digest(), expected);
    }
    case 'hmac': {
      if (parts.length !== 4) throw invalid('hmac: $hmac-<digest>$hash$key');
      const algorithm = parts[1].slice('hmac-'.length);
      const expected = base64(parts[2], true);
      const key = base64(parts[3], true);
      // Kratos compares the hex of the MAC with the decoded hash.
      return async (password) => same(Buffer.from(createHmac(algorithm, key).update(password).digest('hex')), expected);
    }
    case 'md5crypt': {
      // `$md5-crypt$<salt>$<hash>` is glibc's `$1$<salt>$<hash>`: a salt of at most 8 characters (maybe none).
      if (parts.length !== 4 || !CRYPT_SALT.test(parts[2]) || !/^[./0-9A-Za-z]{22}$/.test(parts[3])) throw invalid('md5-crypt: $md5-crypt$<salt>$<22 characters>');
      const salt = parts[2].slice(0, 8);
      const expected = Buffer.from(parts[3]);
      return async (password) => same(Buffer.from(md5Crypt(Buffer.from(password), Buffer.from(salt))), expected);
    }
    case 'sha256crypt':
    case 'sha512crypt': {
      // `$sha512-crypt$[rounds=<n>$]<salt>$<hash>` is glibc's `$6$...`: rounds 5,000 unless given (below 1,000: 1,000),
      // a salt of at most 16 characters.
      const algorithm = kind === 'sha256crypt' ? 'sha256' : 'sha512';
      const withRounds = parts.length === 5;
      if ((parts.length !== 4 && !withRounds) || (withRounds && !/^rounds=\d{1,10}$/.test(parts[2]))) throw invalid('sha-crypt: $sha512-crypt$[rounds=<n>$]<salt>$<hash>');
      const rounds = withRounds ? Math.max(1000, Number(parts[2].slice('rounds='.length))) : 5000;
      if (rounds > MAX_SHA_CRYPT_ROUNDS) throw invalid('sha-crypt rounds out of bounds');
      const saltText = parts[parts.length - 2];
      const hashText = parts[parts.length - 1];
      if (!CRYPT_SALT.test(saltText) || saltText === '' || !new RegExp(`^[./0-9A-Za-z]{${algorithm === 'sha256' ? 43 : 86}}$`).test(hashText)) throw invalid('sha-crypt salt or hash malformed');
      const salt = Buffer.from(saltText.slice(0, 16));
      const expected = Buffer.from(hashText);
      return async (password) => same(Buffer.from(await shaCrypt(algorithm, Buffer.from(password), salt, rounds)), expected);
    }
    default:
      throw invalid('not a hash format this build reads');
  }
}

/** A crypt(3) salt as it appears between the `$`: printable, no `$`, no `:` or newline (passwd's separators). */
const CRYPT_SALT = /^[!-#%-9;-~]*$/;

/** crypt(3)'s base64: `./0-9A-Za-z`, each 24-bit group written least significant 6 bits first. */
const CRYPT_ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function cryptBase64(bytes: Buffer, order: number[][]): string {
  let out = '';
  for (const group of order) {
    // [b2, b1, b0] make a 24-bit value (-1: a zero byte); a group of two bytes writes 3 characters, of one byte 2.
    const [b2, b1, b0] = group.length === 3 ? group : group.length === 2 ? [-1, ...group] : [-1, -1, ...group];
    let value = ((b2 < 0 ? 0 : bytes[b2]) << 16) | ((b1 < 0 ? 0 : bytes[b1]) << 8) | bytes[b0];
    for (let i = 0; i < group.length + 1; i++) {
      out += CRYPT_ALPHABET[value & 0x3f];
      value >>= 6;
    }
  }
  return out;
}

const MD5_CRYPT_ORDER = [[0, 6, 12], [1, 7, 13], [2, 8, 14], [3, 9, 15], [4, 10, 5], [11]];
const SHA256_CRYPT_ORDER = [
  [0, 10, 20], [21, 1, 11], [12, 22, 2], [3, 13, 23], [24, 4, 14], [15, 25, 5], [6, 16, 26], [27, 7, 17], [18, 28, 8], [9, 19, 29], [31, 30],
];
const SHA512_CRYPT_ORDER = [
  ...Array.from({ length: 21 }, (_, i) => {
    const [a, b, c] = [i, i + 21, i + 42];
    return i % 3 === 0 ? [a, b, c] : i % 3 === 1 ? [b, c, a] : [c, a, b];
  }),
  [63],
];

const digest = (algorithm: string, ...parts: Buffer[]) => {
  const hash = createHash(algorithm);
  for (const part of parts) hash.update(part);
  return hash.digest();
};

/** `length` bytes of `block` repeated. */
const repeated = (block: Buffer, length: number) => Buffer.concat(Array.from({ length: Math.ceil(length / block.length) }, () => block)).subarray(0, length);

/** Poul-Henning Kamp's md5crypt (`$1$`): the 22 characters after the salt. */
function md5Crypt(password: Buffer, salt: Buffer): string {
  const alternate = digest('md5', password, salt, password);
  const first = createHash('md5').update(password).update('$1$').update(salt);
  first.update(repeated(alternate, password.length));
  for (let i = password.length; i > 0; i >>= 1) first.update(i & 1 ? Buffer.alloc(1) : password.subarray(0, 1));
  let result = first.digest();
  for (let i = 0; i < 1000; i++) {
    const round = createHash('md5');
    round.update(i & 1 ? password : result);
    if (i % 3) round.update(salt);
    if (i % 7) round.update(password);
    round.update(i & 1 ? result : password);
    result = round.digest();
  }
  return cryptBase64(result, MD5_CRYPT_ORDER);
}

/** Rounds of SHA-crypt between two turns of the event loop (a compare takes up to a second: it must not hold the loop). */
const SHA_CRYPT_ROUNDS_PER_TURN = 20_000;

/** Ulrich Drepper's SHA-crypt (`$5$`, `$6$`): the characters after the salt. */
async function shaCrypt(algorithm: 'sha256' | 'sha512', password: Buffer, salt: Buffer, rounds: number): Promise<string> {
  const b = digest(algorithm, password, salt, password);
  const a = createHash(algorithm).update(password).update(salt);
  a.update(repeated(b, password.length));
  for (let i = password.length; i > 0; i >>= 1) a.update(i & 1 ? b : password);
  let c = a.digest();
  const p = repeated(digest(algorithm, ...Array.from({ length: password.length }, () => password)), password.length);
  const s = repeated(digest(algorithm, ...Array.from({ length: 16 + c[0] }, () => salt)), salt.length);
  for (let i = 0; i < rounds; i++) {
    if (i > 0 && i % SHA_CRYPT_ROUNDS_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
    const round = createHash(algorithm);
    round.update(i & 1 ? p : c);
    if (i % 3) round.update(s);
    if (i % 7) round.update(p);
    round.update(i & 1 ? c : p);
    c = round.digest();
  }
  return cryptBase64(c, algorithm === 'sha256' ? SHA256_CRYPT_ORDER : SHA512_CRYPT_ORDER);
}

/** Every `{SALT}` and `{PASSWORD}` of a pattern replaced, left to right, as Kratos's strings.NewReplacer does. */
function withPattern(pattern: string, salt: Buffer, password: string): Buffer {
  const out: Buffer[] = [];
  let rest = pattern;
  for (;;) {
    const at = rest.search(/\{SALT\}|\{PASSWORD\}/);
    if (at < 0) break;
    out.push(Buffer.from(rest.slice(0, at)));
    if (rest.startsWith('{SALT}', at)) {
      out.push(salt);
      rest = rest.slice(at + 6);
    } else {
      out.push(Buffer.from(password));
      rest = rest.slice(at + 10);
    }
  }
  out.push(Buffer.from(rest));
  return Buffer.concat(out);
}

/** A hash import may accept: one of these formats, readable, its parameters within bounds (nothing is computed). */
export function isReadableLegacyHash(hash: string): boolean {
  if (!legacyHashKind(hash)) return false;
  try {
    readLegacyHash(hash);
    return true;
  } catch (error) {
    if (error instanceof InvalidLegacyHashError) return false;
    throw error;
  }
}
