import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../scripts/local-stack.js';

// A second copy of an OpenTelemetry package would end up in every bundle and split the global tracer state:
// each OpenTelemetry package the functions load exists once, on the 2.x line (the Jaeger propagator and remote
// sampler exist only there).
describe('the OpenTelemetry line', () => {
  const lock = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string; dev?: boolean }> };
  const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

  it('has one copy of each runtime OpenTelemetry package, the SDK on 2.x', () => {
    const runtime = Object.keys(pkg.dependencies).filter((name) => name.startsWith('@opentelemetry/'));
    const shared = ['@opentelemetry/core', '@opentelemetry/sdk-trace', '@opentelemetry/resources', '@opentelemetry/api'];
    for (const name of new Set([...runtime, ...shared])) {
      const versions = new Set(Object.entries(lock.packages).filter(([key, entry]) => key.endsWith(`node_modules/${name}`) && !entry.dev).map(([, entry]) => entry.version));
      expect([name, versions.size]).toEqual([name, 1]);
    }
    expect(lock.packages['node_modules/@opentelemetry/core'].version).toMatch(/^2\./);
    expect(lock.packages['node_modules/@opentelemetry/sdk-trace'].version).toMatch(/^2\./);
  });

  it('exports to Jaeger with its own exporter: the deprecated @opentelemetry/exporter-jaeger, jaeger-client and thriftrw are not runtime dependencies', () => {
    for (const name of ['@opentelemetry/exporter-jaeger', 'jaeger-client', 'thriftrw']) {
      expect(pkg.dependencies[name]).toBeUndefined();
      const entry = lock.packages[`node_modules/${name}`];
      if (entry) expect([name, entry.dev]).toEqual([name, true]);
    }
  });
});
