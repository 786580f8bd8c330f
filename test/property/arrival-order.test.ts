import fc from 'fast-check';
import { snsEnvelope, variant } from '../support/fixtures.js';
import { createHarness } from '../support/harness.js';
import { sqsRecord } from '../support/sqs.js';

/**
 * The outcome never depends on arrival order: one address's soft bounces and deliveries, arriving
 * in any order, duplicated, in batches of any size, with the writer's hand-overs crossing on the
 * way, leave the suppression list as the contract applied in event-time order leaves it.
 *
 * The oracle is written apart from the code it checks: it walks the events in time order, as the
 * contract reads, with no state but the soft bounces since the last delivery.
 */

const ADDRESS = 'recipient@example.com';
const HOUR_MS = 3_600_000;
const START = Date.UTC(2026, 9, 1);

interface SesEvent {
  readonly kind: 'soft' | 'delivery';
  /** Hours after START; distinct across one run's events. */
  readonly hour: number;
}

/** The contract in time order: is the address left (temporarily) suppressed? */
function suppressedInTimeOrder(events: readonly SesEvent[], threshold: number, windowInDays: number): boolean {
  let softSinceDelivery: number[] = [];
  let suppressed = false;
  for (const event of [...events].sort((a, b) => a.hour - b.hour)) {
    if (event.kind === 'delivery') {
      // The delivery cancels every soft bounce before it, and so the escalation they made.
      softSinceDelivery = [];
      suppressed = false;
      continue;
    }
    softSinceDelivery.push(event.hour);
    const inWindow = softSinceDelivery.filter((h) => h >= event.hour - windowInDays * 24).length;
    if (threshold > 0 && inWindow >= threshold) suppressed = true;
  }
  return suppressed;
}

/** The SES message of one event (a MailboxFull bounce or a Delivery), each a distinct message. */
function sesMessage(event: SesEvent): string {
  const at = new Date(START + event.hour * HOUR_MS).toISOString();
  return event.kind === 'soft'
    ? snsEnvelope(
        variant('derived/eventpub-bounce-transient-mailboxfull.json', (m) => {
          m.mail.messageId = `soft-${event.hour}`;
          m.bounce.timestamp = at;
        }),
      )
    : snsEnvelope(
        variant('eventpub-delivery.json', (m) => {
          m.mail.messageId = `delivered-${event.hour}`;
          m.delivery.timestamp = at;
        }),
      );
}

/** Events over about two months (so windows of 30 days both hold and slide), with distinct times. */
const history = fc
  .uniqueArray(fc.record({ kind: fc.constantFrom<'soft' | 'delivery'>('soft', 'soft', 'soft', 'delivery'), hour: fc.integer({ min: 0, max: 60 * 24 }) }), {
    minLength: 1,
    maxLength: 14,
    selector: (e) => e.hour,
  });

/** How the events arrive: an order, copies (SNS delivers 1-8), batch sizes, and when the writer runs. */
const arrival = fc.record({
  order: fc.array(fc.double({ noNaN: true }), { minLength: 14, maxLength: 14 }),
  copies: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 14, maxLength: 14 }),
  batchSizes: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 14 }),
  /** After each batch, whether the writer runs now (else its messages wait, and cross). */
  writeNow: fc.array(fc.boolean(), { minLength: 14, maxLength: 14 }),
  /** How the writer's waiting messages are reordered before it runs (SQS keeps no order). */
  shuffle: fc.array(fc.double({ noNaN: true }), { minLength: 40, maxLength: 40 }),
});

// The handlers log every record (stdout) and every retry (stderr); logging.test.ts checks them.
beforeEach(() => {
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(() => jest.restoreAllMocks());

describe('arrival order', () => {
  it.each([
    ['the default policy (5 in 30 days)', 5, 30],
    ['a tight policy (3 in 10 days)', 3, 10],
  ])('leaves the list as the contract in time order does, whatever the order, copies and batches, with %s', async (_name, threshold, windowInDays) => {
    await fc.assert(
      fc.asyncProperty(history, arrival, async (events, how) => {
        const { ses, queues, process, settle, invokeWriter } = createHarness({ policy: { threshold, windowInDays } });
        const bodies = events
          .map((event, i) => ({ event, key: how.order[i] ?? 0, copies: how.copies[i] ?? 1 }))
          .sort((a, b) => a.key - b.key)
          .flatMap(({ event, copies }) => Array.from({ length: copies }, () => sesMessage(event)));
        let at = 0;
        for (let b = 0; at < bodies.length; b++) {
          const size = how.batchSizes[b % how.batchSizes.length] ?? 1;
          const batch = bodies.slice(at, at + size);
          at += size;
          const { redriven } = await process(batch, size);
          expect(redriven).toEqual([]);
          if (how.writeNow[b % how.writeNow.length] === false) continue;
          // The hand-overs waiting for the writer arrive in any order, each in a run of its own.
          const waiting = queues.requests
            .splice(0)
            .map(({ body }, i) => ({ body, key: how.shuffle[i % how.shuffle.length] ?? 0 }))
            .sort((x, y) => x.key - y.key);
          for (const { body } of waiting) await invokeWriter(sqsRecord(body));
          await settle();
        }
        await settle();
        expect(ses.list.has(ADDRESS)).toBe(suppressedInTimeOrder(events, threshold, windowInDays));
      }),
      { numRuns: 600 },
    );
  });
});
