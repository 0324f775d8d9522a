import middy from '@middy/core';
import schema from '../../kratos/identity.schema.json' with { type: 'json' };

// Proves the ESM toolchain: tsc emits ES modules, Jest runs them natively, Middy (ESM-only) loads,
// and JSON data files import the way the functions import them.
describe('ESM toolchain', () => {
  it('runs a Middy handler with a before middleware and imports JSON', async () => {
    const handler = middy(async (event: { n: number }) => ({ doubled: event.n * 2 })).use({
      before: async (request) => {
        (request.event as { n: number }).n += 1;
      },
    });
    await expect(handler({ n: 2 }, {} as never)).resolves.toEqual({ doubled: 6 });
    expect(schema.properties.traits.required).toEqual(['email']);
  });
});
