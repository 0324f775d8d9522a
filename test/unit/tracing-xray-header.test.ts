/**
 * Our X-Ray trace header parser (lib/tracing/sdk.ts, written to save the propagator's carrier and getter on every
 * invocation) answers as `@opentelemetry/propagator-aws-xray` does, on valid, odd and malformed headers.
 */
import { ROOT_CONTEXT, trace, type SpanContext } from '@opentelemetry/api';
import { AWSXRayPropagator } from '@opentelemetry/propagator-aws-xray';
import { xraySpanContext } from '../../lib/tracing/sdk.js';

const propagator = new AWSXRayPropagator();
const getter = { keys: (carrier: Record<string, string>) => Object.keys(carrier), get: (carrier: Record<string, string>, key: string) => carrier[key] };

function reference(header: string): SpanContext | undefined {
  const found = trace.getSpanContext(propagator.extract(ROOT_CONTEXT, { 'x-amzn-trace-id': header }, getter));
  return found && trace.isSpanContextValid(found) ? found : undefined;
}

const root = 'Root=1-5759e988-bd862e3fe1be46a994272793';
const parent = 'Parent=53995c3f42cd8ad8';
const HEADERS = [
  `${root};${parent};Sampled=1`,
  `${root};${parent};Sampled=0`,
  `${parent};Sampled=1;${root}`,
  ` ${root} ; ${parent} ;Sampled=1 `,
  `${root};${parent};Sampled=1;Lineage=a87bd80c:1|68fd508a:5`,
  `Self=1-67891234-12456789abcdef012345678;${root};${parent};Sampled=1`,
  `${root};${parent};Sampled=?`,
  `${root};${parent};Sampled=d`,
  `${root};${parent}`,
  `${root};Sampled=1`,
  `${parent};Sampled=1`,
  `Root=1-5759e988-bd862e3fe1be46a99427279;${parent};Sampled=1`,
  `Root=2-5759e988-bd862e3fe1be46a994272793;${parent};Sampled=1`,
  `Root=1_5759e988-bd862e3fe1be46a994272793;${parent};Sampled=1`,
  `Root=1-5759E988-BD862E3FE1BE46A994272793;${parent};Sampled=1`,
  `${root};Parent=53995C3F42CD8AD8;Sampled=1`,
  `Root=1-00000000-000000000000000000000000;${parent};Sampled=1`,
  `Root=1-00000001-000000000000000000000000;${parent};Sampled=1`,
  `Root=1-00000000-000000000000000000000001;${parent};Sampled=1`,
  `${root};${parent};Sampled=1;Lineage=a87bd80c:1|68fd508a:5;Lineage=x`,
  `${root};Parent=0000000000000000;Sampled=1`,
  `${root};Parent=53995c3f42cd8ad;Sampled=1`,
  `${root};${parent};Sampled=1;Sampled=x`,
  `${root};${parent};Sampled=0;Sampled=1`,
  `${root};Root=garbage;${parent};Sampled=1`,
  `root=1-5759e988-bd862e3fe1be46a994272793;${parent};Sampled=1`,
  `${root};parent=53995c3f42cd8ad8;Sampled=1`,
  `${root};${parent};sampled=1`,
  `RootX=1-5759e988-bd862e3fe1be46a994272793;${parent};Sampled=1`,
  `${root};${parent};Sampled=1;`,
  '',
  ';;;',
  'Root=garbage',
  'Sampled=1',
];

describe('X-Ray trace header', () => {
  it.each(HEADERS)('%j is read as the X-Ray propagator reads it', (header) => {
    expect(xraySpanContext(header)).toEqual(reference(header));
  });

  it('joins the trace the header names', () => {
    expect(xraySpanContext(`${root};${parent};Sampled=1`)).toEqual({ traceId: '5759e988bd862e3fe1be46a994272793', spanId: '53995c3f42cd8ad8', traceFlags: 1, isRemote: true });
  });
});
