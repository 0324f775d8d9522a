// `npm test` runs Jest on the project's own Node 24 (the `node` dev dependency puts it first on the scripts' PATH),
// whatever Node the machine has; every child process the tests start inherits it through process.execPath.
describe('the runtime', () => {
  it('is Node 24, the Lambda runtime the functions are deployed on', () => {
    expect(Number(process.versions.node.split('.')[0])).toBe(24);
  });
});
