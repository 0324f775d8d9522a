import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../scripts/local-stack.js';

// The Jaeger exporter pins @opentelemetry/core and sdk-trace exactly; a second copy of the SDK would end up
// in every bundle and split the global tracer state. Each OpenTelemetry package the functions load exists once.
describe('the OpenTelemetry line', () => {
  const lock = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string; dev?: boolean }> };
  const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

  it('has one copy of each runtime OpenTelemetry package, on the exporter-jaeger 2.11.0 line', () => {
    const runtime = Object.keys(pkg.dependencies).filter((name) => name.startsWith('@opentelemetry/'));
    const shared = ['@opentelemetry/core', '@opentelemetry/sdk-trace', '@opentelemetry/resources', '@opentelemetry/api'];
    for (const name of new Set([...runtime, ...shared])) {
      const copies = Object.entries(lock.packages).filter(([key, entry]) => key.endsWith(`node_modules/${name}`) && !entry.dev);
      expect([name, copies.map(([, entry]) => entry.version)]).toEqual([name, [copies[0]?.[1].version]]);
    }
    expect(lock.packages['node_modules/@opentelemetry/exporter-jaeger'].version).toBe('2.11.0');
    expect(lock.packages['node_modules/@opentelemetry/core'].version).toBe('2.11.0');
    expect(lock.packages['node_modules/@opentelemetry/sdk-trace'].version).toBe('2.11.0');
  });
});
