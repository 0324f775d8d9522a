/**
 * The two Thrift wire encodings a Jaeger agent and collector take, written by hand, and only their write side:
 * compact (the agent's 6831, what Kratos's Go exporter sends) and binary (the agent's 6832 and the collector's
 * HTTP endpoint). Why not a library: thriftrw has no compact codec and is what made the old exporter slow to
 * load and unsafe to bundle (it parses IDL files from disk); Apache Thrift's Node library is a whole RPC stack
 * that needs generated code; @opentelemetry/exporter-jaeger, the only maintained wrapper, is deprecated. What is
 * needed is small: structs, lists, i32, i64, double, bool, string and the oneway message envelope.
 *
 * Tests decode what these writers produce with Apache Thrift's own TCompactProtocol/TBinaryProtocol and with
 * thriftrw, against Jaeger's IDL.
 */

/** Thrift's type ids (the binary protocol's values; the compact protocol maps them). */
export const TType = { BOOL: 2, DOUBLE: 4, I32: 8, I64: 10, STRING: 11, STRUCT: 12, LIST: 15 } as const;
export type TType = (typeof TType)[keyof typeof TType];

const COMPACT_TYPE: Record<number, number> = {
  [TType.BOOL]: 1,
  [TType.DOUBLE]: 7,
  [TType.I32]: 5,
  [TType.I64]: 6,
  [TType.STRING]: 8,
  [TType.STRUCT]: 12,
  [TType.LIST]: 9,
};

const ONEWAY = 4;

/**
 * Eight hex digits of `hex` from `at` as an unsigned 32-bit number, read without slicing or parseInt (ids are
 * written twice per span; the API has checked their digits).
 */
function hex32(hex: string, at: number): number {
  let value = 0;
  for (let i = at; i < at + 8; i++) {
    const c = hex.charCodeAt(i) | 0x20; // lower case
    value = value * 16 + (c <= 0x39 ? c - 0x30 : c - 0x57);
  }
  return value;
}
const TWO_32 = 0x1_0000_0000;

/** What the Jaeger model writer needs of a protocol. */
export interface ThriftWriter {
  readonly protocol: 'compact' | 'binary';
  readonly length: number;
  /** The bytes written so far (a view, valid until the next write or reset). */
  bytes(): Buffer;
  /** Forgets everything written; the buffer is reused. */
  reset(): void;
  onewayMessageBegin(name: string, seqId: number): void;
  structBegin(): void;
  /** Writes the stop field and closes the struct. */
  structEnd(): void;
  fieldBegin(id: number, type: TType): void;
  boolField(id: number, value: boolean): void;
  listBegin(elementType: TType, size: number): void;
  i32(value: number): void;
  /** A non-negative integer below 2^52 (microsecond timestamps and durations), or a small negative one. */
  i64(value: number): void;
  /** A 64-bit id given as 16 hex digits from `at` (a span id, or half a trace id), as OpenTelemetry holds them. */
  i64Hex(hex: string, at?: number): void;
  double(value: number): void;
  string(value: string): void;
  /** Copies bytes written by a writer of the same protocol (a pre-encoded struct). */
  raw(bytes: Uint8Array): void;
}

/** Shared buffer handling: one growing Buffer, reused across exports. */
abstract class BufferWriter {
  protected buf: Buffer;
  protected pos = 0;

  constructor(initialSize = 4096) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  get length(): number {
    return this.pos;
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  reset(): void {
    this.pos = 0;
  }

  protected ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + extra));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  protected byte(value: number): void {
    this.ensure(1);
    this.buf[this.pos++] = value;
  }

  /**
   * Writes a short ASCII string's bytes with no call into Buffer's native code (most tag keys and values are short
   * ASCII); false, having written nothing, when the string is not.
   */
  protected asciiBytes(value: string): boolean {
    const length = value.length;
    if (length > 64) return false;
    for (let i = 0; i < length; i++) if (value.charCodeAt(i) > 0x7f) return false;
    this.ensure(length);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < length; i++) buf[pos++] = value.charCodeAt(i);
    this.pos = pos;
    return true;
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }
}

/** Thrift compact protocol (version 1): varints, zigzag integers, field-id deltas, types packed into headers. */
export class CompactWriter extends BufferWriter implements ThriftWriter {
  readonly protocol = 'compact';
  private lastFieldId = 0;
  private readonly fieldIdStack: number[] = [];

  override reset(): void {
    super.reset();
    this.lastFieldId = 0;
    this.fieldIdStack.length = 0;
  }

  onewayMessageBegin(name: string, seqId: number): void {
    this.byte(0x82);
    this.byte((ONEWAY << 5) | 1);
    this.varint(seqId >>> 0);
    this.string(name);
  }

  structBegin(): void {
    this.fieldIdStack.push(this.lastFieldId);
    this.lastFieldId = 0;
  }

  structEnd(): void {
    this.byte(0);
    this.lastFieldId = this.fieldIdStack.pop() ?? 0;
  }

  fieldBegin(id: number, type: TType): void {
    this.fieldHeader(id, COMPACT_TYPE[type]);
  }

  boolField(id: number, value: boolean): void {
    // The compact protocol carries a bool field's value in its header's type nibble.
    this.fieldHeader(id, value ? 1 : 2);
  }

  private fieldHeader(id: number, compactType: number): void {
    const delta = id - this.lastFieldId;
    if (delta > 0 && delta <= 15) {
      this.byte((delta << 4) | compactType);
    } else {
      this.byte(compactType);
      this.varint(id >= 0 ? id * 2 : -id * 2 - 1);
    }
    this.lastFieldId = id;
  }

  listBegin(elementType: TType, size: number): void {
    const type = COMPACT_TYPE[elementType];
    if (size < 15) {
      this.byte((size << 4) | type);
    } else {
      this.byte(0xf0 | type);
      this.varint(size);
    }
  }

  i32(value: number): void {
    this.varint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  i64(value: number): void {
    // zigzag(n) = 2n for n >= 0 and -2n - 1 below: exact in a double for |n| < 2^52.
    this.varint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  i64Hex(hex: string, at = 0): void {
    const high = hex32(hex, at);
    const low = hex32(hex, at + 8);
    // zigzag on the 64-bit two's complement value, in two 32-bit halves: (n << 1) ^ (n >> 63).
    const sign = high >= 0x8000_0000 ? 0xffff_ffff : 0;
    let zigHigh = (((high << 1) | (low >>> 31)) ^ sign) >>> 0;
    let zigLow = ((low << 1) ^ sign) >>> 0;
    this.ensure(10);
    while (zigHigh !== 0 || zigLow > 0x7f) {
      this.buf[this.pos++] = (zigLow & 0x7f) | 0x80;
      zigLow = ((zigLow >>> 7) | (zigHigh << 25)) >>> 0;
      zigHigh >>>= 7;
    }
    this.buf[this.pos++] = zigLow;
  }

  double(value: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }

  string(value: string): void {
    // A short ASCII string's length is its character count and fits a one-byte varint.
    if (value.length <= 64) {
      const at = this.pos;
      this.byte(value.length);
      if (this.asciiBytes(value)) return;
      this.pos = at;
    }
    const length = Buffer.byteLength(value, 'utf8');
    this.varint(length);
    this.ensure(length);
    this.pos += this.buf.write(value, this.pos, length, 'utf8');
  }

  /** An unsigned varint of a non-negative integer below 2^53. */
  private varint(value: number): void {
    this.ensure(10);
    let rest = value;
    while (rest >= 0x80) {
      this.buf[this.pos++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.buf[this.pos++] = rest;
  }
}

/** Thrift binary protocol, strict: big-endian fixed-size integers, a type byte and an i16 id per field. */
export class BinaryWriter extends BufferWriter implements ThriftWriter {
  readonly protocol = 'binary';

  onewayMessageBegin(name: string, seqId: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE((0x8001_0000 | ONEWAY) >>> 0, this.pos);
    this.pos += 4;
    this.string(name);
    this.i32(seqId);
  }

  structBegin(): void {}

  structEnd(): void {
    this.byte(0);
  }

  fieldBegin(id: number, type: TType): void {
    this.ensure(3);
    this.buf[this.pos++] = type;
    this.buf.writeInt16BE(id, this.pos);
    this.pos += 2;
  }

  boolField(id: number, value: boolean): void {
    this.fieldBegin(id, TType.BOOL);
    this.byte(value ? 1 : 0);
  }

  listBegin(elementType: TType, size: number): void {
    this.byte(elementType);
    this.i32(size);
  }

  i32(value: number): void {
    this.ensure(4);
    this.buf.writeInt32BE(value, this.pos);
    this.pos += 4;
  }

  i64(value: number): void {
    this.ensure(8);
    if (value >= 0) {
      this.buf.writeUInt32BE(Math.floor(value / TWO_32), this.pos);
      this.buf.writeUInt32BE(value % TWO_32, this.pos + 4);
    } else {
      this.buf.writeBigInt64BE(BigInt(value), this.pos);
    }
    this.pos += 8;
  }

  i64Hex(hex: string, at = 0): void {
    this.ensure(8);
    this.buf.writeUInt32BE(hex32(hex, at), this.pos);
    this.buf.writeUInt32BE(hex32(hex, at + 8), this.pos + 4);
    this.pos += 8;
  }

  double(value: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(value, this.pos);
    this.pos += 8;
  }

  string(value: string): void {
    if (value.length <= 64) {
      const at = this.pos;
      this.i32(value.length);
      if (this.asciiBytes(value)) return;
      this.pos = at;
    }
    const length = Buffer.byteLength(value, 'utf8');
    this.i32(length);
    this.ensure(length);
    this.pos += this.buf.write(value, this.pos, length, 'utf8');
  }
}
