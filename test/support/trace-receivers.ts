// Test fixtures that receive what the exporters really put on the wire and decode it into one common span shape,
// so tests can assert on exported traces without a real Jaeger, Zipkin or collector. One module per format:
//
//   traces/jaeger.ts    Jaeger agent UDP (Agent.emitBatch: Thrift compact via Apache Thrift's TCompactProtocol,
//                       Thrift binary via thriftrw, both with Jaeger's IDL) and collector HTTP (binary jaeger.Batch)
//   traces/otlp.ts      OTLP/HTTP JSON: POST /v1/traces
//   traces/zipkin.ts    Zipkin v2: POST /api/v2/spans
//   traces/sampling.ts  Jaeger remote sampling: GET /sampling?service=NAME
//
// Everything listens on 127.0.0.1, port 0 (ephemeral) unless a port is given.
export * from './traces/common.js';
export * from './traces/jaeger.js';
export * from './traces/otlp.js';
export * from './traces/zipkin.js';
export * from './traces/sampling.js';
