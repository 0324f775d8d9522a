'use strict';
// A stand-in for the Lambda runtime in a fresh process: load the bundle, invoke its handler once, print the
// answer's status on one line (the parent times spawn -> this line). Then, as Lambda's runtime posting the
// response would, it gives work left on the event loop (X-Ray sends its subsegments after the handler
// returns) a moment before exiting; that moment is not timed.
const { handler } = require(process.argv[2]);
const context = {
  awsRequestId: `cold-${process.pid}`,
  functionName: 'whoami',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:whoami',
  memoryLimitInMB: '1024',
  logGroupName: '/aws/lambda/whoami',
  logStreamName: 'bench',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 30000,
};
Promise.resolve(handler(JSON.parse(process.argv[3]), context)).then(
  (result) => {
    process.stdout.write(`${JSON.stringify({ statusCode: result.statusCode })}\n`);
    setTimeout(() => process.exit(0), 100).unref();
  },
  (error) => {
    process.stderr.write(`${(error && error.stack) || error}\n`);
    process.exit(1);
  },
);
