/**
 * The courier function (functions/courier.ts) and the local runner (scripts/courier-local.ts) share this: a DynamoDB
 * Stream batch delivers the messages just queued (immediacy); any other event (the one-minute schedule) sweeps the
 * queue and delivers every due message (retries, and whatever the stream missed). Each message is delivered once
 * per claim (lib/courier/dispatcher.ts); a stream record whose delivery threw is reported back to Lambda
 * (`batchItemFailures`) to be retried, the others are not.
 */
import { coldStartConfig, configReady, secretsToRead, type Config } from '../config/index.js';
import { captureProcessWarnings, log, setLogLevel } from '../log/index.js';
import { prepareTracing } from '../tracing/background.js';
import { createDispatcher, type DeliveryOutcome, type Dispatcher } from './dispatcher.js';
import type { CourierRepository, CourierStream, TableChange } from './repository.js';
import { createMailSender, type MailSender } from './senders/index.js';
import { configuredWebHooks } from '../config/selfservice.js';
import type { FetchLike } from '../tracing/http-client.js';
import { queuedWebHookSender } from '../webhooks/queued.js';

/** Messages one sweep takes from the queue; the next sweep takes the rest. */
export const SWEEP_LIMIT = 100;
/** Deliveries in flight at once within one invocation. */
const CONCURRENCY = 4;
/**
 * A sweep starts no delivery after this long: one that starts before still ends (at SMTP's timeouts, 40 s) inside the
 * function's 60 s, so a timeout never kills a delivery between the mail leaving and the message being marked sent.
 */
const SWEEP_BUDGET_MS = 15_000;

export interface CourierResult {
  batchItemFailures: { itemIdentifier: string }[];
  /** What happened to each message this invocation handled (for the local runner's log and the tests). */
  outcomes?: Partial<Record<DeliveryOutcome, number>>;
}

export interface CourierWiring {
  config: Config;
  repository: CourierRepository;
  /** The table's change stream (the DynamoDB store's); without one, only sweeps deliver. */
  stream?: CourierStream;
  /** By default the configured strategy's (SMTP or SES). */
  sender?: MailSender;
  /** What queued web hooks are sent with (tests: a recorder); the global fetch by default. */
  webHookFetch?: FetchLike;
}

const isStreamEvent = (event: unknown): event is { Records: (TableChange & { eventSource?: string })[] } =>
  typeof event === 'object' && event !== null && Array.isArray((event as { Records?: unknown }).Records) &&
  (event as { Records: { eventSource?: string }[] }).Records.every((r) => r?.eventSource === 'aws:dynamodb');

async function inBatches<T>(items: T[], work: (item: T) => Promise<void>, deadline = Infinity): Promise<void> {
  let next = 0;
  const worker = async () => {
    // What is left when the deadline passes stays queued, unclaimed: the next sweep takes it.
    while (next < items.length && Date.now() < deadline) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
}

/** The handler over `wire()`, called once, at the first invocation. */
export function courierHandler(wire: () => CourierWiring) {
  let dispatcher: Promise<{ dispatcher: Dispatcher; repository: CourierRepository; stream?: CourierStream }> | undefined;
  const ready = () =>
    (dispatcher ??= (async () => {
      const { config, repository, stream, sender, webHookFetch } = wire();
      const webHooks = queuedWebHookSender(configuredWebHooks(config.selfservice), () => config.selfservice.webHookSecrets, webHookFetch);
      return { repository, stream, dispatcher: createDispatcher({ repository, config: config.courier, sender: sender ?? (await createMailSender(config.courier)), webHooks }) };
    })().catch((error: unknown) => {
      dispatcher = undefined;
      throw error;
    }));

  return async function courier(event: unknown): Promise<CourierResult> {
    const { dispatcher: courier, repository, stream } = await ready();
    const outcomes: Partial<Record<DeliveryOutcome, number>> = {};
    const count = (outcome: DeliveryOutcome) => void (outcomes[outcome] = (outcomes[outcome] ?? 0) + 1);
    const batchItemFailures: CourierResult['batchItemFailures'] = [];

    if (isStreamEvent(event)) {
      await inBatches(event.Records, async (record) => {
        try {
          const message = stream?.queuedMessageOf(record);
          if (message) count(await courier.deliver(message));
        } catch (error) {
          const id = record.dynamodb?.SequenceNumber;
          log('error', 'courier: stream record failed, Lambda retries it', { error: error instanceof Error ? error.name : 'Error', sequence_number: id });
          if (id) batchItemFailures.push({ itemIdentifier: id });
        }
      });
      return { batchItemFailures, outcomes };
    }

    const started = Date.now();
    const due = await repository.listDue(new Date(started), SWEEP_LIMIT);
    let failed = 0;
    await inBatches(due, async (message) => {
      try {
        count(await courier.deliver(message));
      } catch (error) {
        // The message stays queued (its lease runs out): a later sweep delivers it.
        failed++;
        log('error', 'courier: delivery failed unexpectedly', { message_id: message.id, error: error instanceof Error ? error.name : 'Error' });
      }
    }, started + SWEEP_BUDGET_MS);
    if (failed > 0 && failed === due.length) throw new Error(`courier: all ${failed} deliveries of this sweep failed unexpectedly`);
    return { batchItemFailures, outcomes };
  };
}

/**
 * The Lambda function: configuration read at the cold start (a bad COURIER_* value fails it, naming the variable),
 * tracing set up as the HTTP functions set it up. Secrets held in SSM Parameter Store (the SMTP connection URI) are
 * read at the first invocation, before anything else; a failed read fails that invocation (Lambda retries a stream
 * batch, the schedule comes again) and is tried again by the next.
 */
export function courierFunction(wire: () => CourierWiring) {
  setLogLevel(coldStartConfig().logLevel);
  captureProcessWarnings();
  if (!secretsToRead()) prepareTracing();
  const deliver = courierHandler(wire);
  return async function courier(event: unknown): Promise<CourierResult> {
    try {
      await configReady();
    } catch (error) {
      log('error', `courier: secrets not ready: ${error instanceof Error ? error.message : String(error)}`, { error: error instanceof Error ? error.name : undefined });
      throw error;
    }
    prepareTracing();
    return deliver(event);
  };
}
