import { appConfig, appStore } from '../lib/app.js';
import { courierFunction } from '../lib/courier/handler.js';
import { courierStream } from '../lib/store/dynamodb/courier-repository.js';

/**
 * The courier (not an HTTP endpoint): a DynamoDB Stream batch delivers the messages just queued, the one-minute
 * schedule (or any other event) sweeps the queue for due ones. Answers Lambda's partial batch response.
 */
export const handler = courierFunction(() => ({ config: appConfig(), repository: appStore().courier, stream: courierStream }));
