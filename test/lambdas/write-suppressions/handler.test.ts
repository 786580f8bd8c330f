import { SuppressionRejectedError } from '../../../lambdas/shared/errors.js';
import { type SuppressionMessage } from '../../../lambdas/shared/suppression.js';
import { SimulatedCrash, throttled } from '../../support/fakes.js';
import { snsEnvelope, variant } from '../../support/fixtures.js';
import { createHarness, RUN_BUDGET, TEMPORARY_FOR_SECONDS } from '../../support/harness.js';
import { sqsRecord } from '../../support/sqs.js';

/**
 * Suppressions that soft bounces escalated end after the writer's period; hard bounces and
 * complaints stay. Both real handlers over fakes of every port, driven by the expiry tick exactly
 * as the stack's EventBridge schedule puts it on the writer's queue.
 */

const DAY = 86_400;
const TICK = JSON.stringify({ type: 'expire' });

/** A MailboxFull soft bounce (AWS's example, derived) for `address`, sent on day `n` of November 2026. */
const softBounce = (address: string, n: number): string =>
  snsEnvelope(
    variant('derived/eventpub-bounce-transient-mailboxfull.json', (m) => {
      m.mail.messageId = `soft-${address}-${n}`;
      m.mail.destination = [address];
      m.bounce.bouncedRecipients = [{ emailAddress: address }];
      m.bounce.timestamp = new Date(Date.UTC(2026, 10, n)).toISOString();
    }),
  );
/** Five soft bounces in five days: the default policy's threshold, so the address is suppressed (temporarily). */
const escalation = (address: string): string[] => [1, 2, 3, 4, 5].map((n) => softBounce(address, n));
/** AWS's Permanent/General example for `address`. */
const hardBounce = (address: string, id = 'hard'): string =>
  snsEnvelope(
    variant('eventpub-bounce-permanent-general.json', (m) => {
      m.mail.messageId = `${id}-${address}`;
      m.mail.destination = [address];
      m.bounce.bouncedRecipients = [{ ...m.bounce.bouncedRecipients[0], emailAddress: address }];
    }),
  );
/** AWS's abuse complaint example for `address`. */
const complaint = (address: string): string =>
  snsEnvelope(
    variant('eventpub-complaint-abuse.json', (m) => {
      m.mail.messageId = `complaint-${address}`;
      m.mail.destination = [address];
      m.complaint.complainedRecipients = [{ emailAddress: address }];
    }),
  );

beforeEach(() => {
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(() => jest.restoreAllMocks());

/** What the ledger holds of an address, its marks included (absent ones as undefined). */
function held(harness: ReturnType<typeof createHarness>, address: string): { reason?: string; temporaryUntil?: string; removing?: string } {
  const e = harness.ledger.entries.get(address);
  return { reason: e?.reason, temporaryUntil: e?.temporaryUntil, removing: e?.removing };
}

/** The tick through the writer's handler, then the writer until its queues are empty. */
async function tick(harness: ReturnType<typeof createHarness>): Promise<void> {
  const response = await harness.invokeWriter(sqsRecord(TICK));
  expect(response.batchItemFailures).toEqual([]);
  await harness.settle();
}

describe('soft-bounce suppressions expire', () => {
  it('records an escalated suppression as temporary, until the period after SES accepted it, and says so in its announcement', async () => {
    const harness = createHarness();
    const start = harness.clock.now().getTime();
    await harness.drain([...escalation('full@example.com'), hardBounce('gone@example.com'), complaint('angry@example.com')]);
    const until = harness.ledger.entries.get('full@example.com')?.temporaryUntil ?? '';
    // The period runs from when SES accepted it: during this drain (whose clock moves a visibility timeout per round).
    expect(Date.parse(until) - start).toBeGreaterThanOrEqual(TEMPORARY_FOR_SECONDS * 1000);
    expect(Date.parse(until) - start).toBeLessThan((TEMPORARY_FOR_SECONDS + 3600) * 1000);
    expect(harness.ses.list).toEqual(new Map([['full@example.com', 'BOUNCE'], ['gone@example.com', 'BOUNCE'], ['angry@example.com', 'COMPLAINT']]));
    expect(harness.ledger.entries.get('gone@example.com')?.temporaryUntil).toBeUndefined();
    expect(harness.ledger.entries.get('angry@example.com')?.temporaryUntil).toBeUndefined();
    expect(harness.announcements.announced.find((a) => a.address === 'full@example.com')).toEqual({ address: 'full@example.com', reason: 'BOUNCE', via: 'put', until });
    expect(harness.announcements.announced.filter((a) => a.until !== undefined)).toHaveLength(1);
  });

  it('removes only the escalated suppression, and only once it is due', async () => {
    const harness = createHarness();
    await harness.drain([...escalation('full@example.com'), hardBounce('gone@example.com'), complaint('angry@example.com')]);

    // A day before it ends: nothing happens.
    harness.clock.advanceSeconds(TEMPORARY_FOR_SECONDS - DAY);
    await tick(harness);
    expect(harness.ses.removals).toEqual([]);
    expect(harness.ses.list.has('full@example.com')).toBe(true);

    // Two days later: it is due.
    harness.clock.advanceSeconds(2 * DAY);
    await tick(harness);
    expect(harness.ses.removals).toEqual(['full@example.com']);
    expect(harness.ses.list).toEqual(new Map([['gone@example.com', 'BOUNCE'], ['angry@example.com', 'COMPLAINT']]));
    expect(harness.announcements.removed).toEqual([{ address: 'full@example.com', via: 'expiry' }]);
    expect(harness.ledger.entries.has('full@example.com')).toBe(false);
    expect(harness.ledger.expired.map((e) => e.address)).toEqual(['full@example.com']);
    expect(harness.ledger.schedule.size).toBe(0);
    expect(harness.deadLetters.parked).toEqual([]);

    // The next tick finds nothing more, and the hard bounce and the complaint stay for good.
    harness.clock.advanceSeconds(365 * DAY);
    await tick(harness);
    expect(harness.ses.removals).toEqual(['full@example.com']);
    expect([...harness.ses.list.keys()]).toEqual(['gone@example.com', 'angry@example.com']);
  });

  it('keeps an address for good that hard bounced after its soft bounces escalated, with no SES call for the change', async () => {
    const harness = createHarness();
    await harness.drain(escalation('full@example.com'));
    const callsBefore = harness.ses.calls.length;
    // SES sent anyway (a configuration set that overrides the account's suppression), and it hard bounced.
    await harness.drain([hardBounce('full@example.com')]);
    expect(harness.ses.calls.length).toBe(callsBefore);
    expect(harness.ledger.entries.get('full@example.com')?.temporaryUntil).toBeUndefined();

    harness.clock.advanceSeconds(TEMPORARY_FOR_SECONDS + DAY);
    await tick(harness);
    expect(harness.ses.removals).toEqual([]);
    expect(harness.ses.list.get('full@example.com')).toBe('BOUNCE');
    // Its schedule entry no longer matched the ledger: dropped, never claimed again.
    expect(harness.ledger.schedule.size).toBe(0);
  });

  it('keeps an address for good that complained after its soft bounces escalated (SES upgraded to COMPLAINT)', async () => {
    const harness = createHarness();
    await harness.drain([...escalation('full@example.com'), complaint('full@example.com')]);
    expect(harness.ses.list.get('full@example.com')).toBe('COMPLAINT');
    harness.clock.advanceSeconds(TEMPORARY_FOR_SECONDS + DAY);
    await tick(harness);
    expect(harness.ses.removals).toEqual([]);
    expect(harness.ses.list.get('full@example.com')).toBe('COMPLAINT');
  });

});

/**
 * One writer run at a time (the lease), so nothing else changes the list or the ledger while a run
 * reads and writes them. What remains: a run can die at any step and SQS delivers its message
 * again; SES's import jobs run beside the writer; a run's time ends.
 */
describe('soft-bounce suppressions expire: deaths, SES refusing, the tick\'s budget', () => {
  const ADDRESS = 'full@example.com';

  /** An escalated suppression of ADDRESS, due now. */
  async function due(options: Parameters<typeof createHarness>[0] = {}): Promise<ReturnType<typeof createHarness>> {
    const harness = createHarness(options);
    await harness.drain(escalation(ADDRESS));
    harness.clock.advanceSeconds(TEMPORARY_FOR_SECONDS + DAY);
    return harness;
  }

  it('finishes a removal whose run died after SES took the address off: the next tick ends it, announced once it is done', async () => {
    const harness = await due();
    harness.ledger.before = (method) => {
      if (method === 'finishRemoval') {
        harness.ledger.before = undefined;
        throw new SimulatedCrash(method);
      }
    };
    await harness.invokeWriter(sqsRecord(TICK));
    expect(harness.ses.list.has(ADDRESS)).toBe(false);
    expect(harness.ledger.entries.get(ADDRESS)?.removing).toBeDefined();
    await tick(harness);
    expect(harness.ledger.entries.has(ADDRESS)).toBe(false);
    expect(harness.ledger.expired.map((e) => e.address)).toEqual([ADDRESS]);
    expect(harness.ledger.schedule.size).toBe(0);
  });

  it.each([
    ['a hard bounce', hardBounce(ADDRESS), 'BOUNCE'],
    ['a complaint', complaint(ADDRESS), 'COMPLAINT'],
  ])('puts the address back at SES when %s comes after a removal that died half-way, and keeps it for good', async (_, message, reason) => {
    const harness = await due();
    harness.ledger.before = (method) => {
      if (method === 'finishRemoval') {
        harness.ledger.before = undefined;
        throw new SimulatedCrash(method);
      }
    };
    await harness.invokeWriter(sqsRecord(TICK));
    expect(harness.ses.list.has(ADDRESS)).toBe(false);
    await harness.drain([message]);
    expect(harness.ses.list.get(ADDRESS)).toBe(reason);
    expect(held(harness, ADDRESS)).toEqual({ reason, temporaryUntil: undefined, removing: undefined });
    // The next tick finds a schedule entry the ledger no longer backs: dropped, the address stays.
    await tick(harness);
    expect(harness.ses.list.get(ADDRESS)).toBe(reason);
    expect(harness.ledger.schedule.size).toBe(0);
  });

  it('keeps the address for good, and surfaces it, when SES refuses to take it off', async () => {
    const harness = await due();
    harness.ses.failWith(new SuppressionRejectedError('SES rejected DeleteSuppressedDestination (BadRequestException): refused for test'));
    await tick(harness);
    expect(harness.ses.list.has(ADDRESS)).toBe(true);
    expect(held(harness, ADDRESS)).toEqual({ reason: 'BOUNCE', temporaryUntil: undefined, removing: undefined });
    expect(harness.deadLetters.parked).toEqual([
      { body: JSON.stringify({ type: 'unsuppress', addresses: [ADDRESS], attempt: 1 }), reason: expect.stringMatching(/^1 address\(es\) not taken off the list \(f\*\*\*@example\.com\): SES rejected DeleteSuppressedDestination .*; it stays on the list for good$/), sourceMessageId: expect.any(String) },
    ]);
    // Its redrive finds it permanent now: nothing to do.
    await harness.invokeWriter(sqsRecord(harness.deadLetters.parked[0]?.body ?? ''));
    expect(harness.ses.removals).toEqual([ADDRESS]);
  });

  it('leaves a removal SES throttled due for the next tick: the tick itself never fails', async () => {
    const harness = await due();
    harness.ses.failWith(throttled());
    await tick(harness);
    expect(harness.ses.list.has(ADDRESS)).toBe(true);
    expect(harness.ledger.entries.get(ADDRESS)?.temporaryUntil).toBeDefined();
    await tick(harness);
    expect(harness.ses.list.has(ADDRESS)).toBe(false);
    expect(harness.deadLetters.parked).toEqual([]);
  });

  it('keeps a temporary suppression for good once the period is set to 0 (the tick makes it permanent when it comes due)', async () => {
    const harness = await due();
    const zero = createHarness({ temporaryForSeconds: 0 });
    // The same ledger and list, read by a writer whose period is now 0.
    for (const [a, e] of harness.ledger.entries) zero.ledger.entries.set(a, e);
    for (const [k, e] of harness.ledger.schedule) zero.ledger.schedule.set(k, e);
    zero.ses.list.set(ADDRESS, 'BOUNCE');
    zero.clock.advanceSeconds(TEMPORARY_FOR_SECONDS + DAY);
    await tick(zero);
    expect(zero.ses.removals).toEqual([]);
    expect(zero.ledger.entries.get(ADDRESS)?.temporaryUntil).toBeUndefined();
    expect(zero.ledger.schedule.size).toBe(0);
  });

  it('removes at most a tick\'s budget, earliest first, one call each; the next tick takes the rest', async () => {
    const harness = createHarness({ removalsPerTick: 3, importThreshold: 100 });
    const addresses = ['a', 'b', 'c', 'd', 'e'].map((n) => `${n}@example.com`);
    for (const address of addresses) {
      await harness.drain(escalation(address));
      harness.clock.advanceSeconds(60);
    }
    harness.clock.advanceSeconds(TEMPORARY_FOR_SECONDS + DAY);
    await tick(harness);
    expect(harness.ses.removals).toEqual(addresses.slice(0, 3));
    await tick(harness);
    expect(harness.ses.removals).toEqual(addresses);
    expect(harness.ledger.entries.size).toBe(0);
    expect(harness.imports.jobs.size).toBe(0);
  });
});

describe('one writer run at a time', () => {
  it('makes a batch that finds the lease held wait: its messages come again as new ones after a delay, never a failure', async () => {
    const harness = createHarness();
    await harness.lease.acquire('another-run');
    const message: SuppressionMessage = { type: 'suppress', entries: [{ address: 'gone@example.com', reason: 'BOUNCE' }], attempt: 1 };
    const record = sqsRecord(JSON.stringify(message), 4);
    const response = await harness.invokeWriter(record, sqsRecord(TICK));
    expect(response.batchItemFailures).toEqual([]);
    expect(harness.ses.calls).toEqual([]);
    // It tried again every 0.5 s for 10 s before it handed the messages back.
    expect(harness.lease.waited).toBe(21);
    expect(harness.queues.requests).toEqual([
      { body: JSON.stringify(message), delaySeconds: 15 },
      { body: TICK, delaySeconds: 15 },
    ]);
    // The other run ends: the messages, back as new ones (their receives start again), are written.
    await harness.lease.release('another-run');
    await harness.settle();
    expect(harness.ses.list.get('gone@example.com')).toBe('BOUNCE');
    expect(harness.lease.holder).toBeUndefined();
  });

  it('makes a batch wait a moment for a run that is ending, then write, with nothing handed back', async () => {
    let waits = 0;
    const harness = createHarness({
      onLeaseRetry: async () => {
        if (++waits === 3) await harness.lease.release('another-run');
      },
    });
    await harness.lease.acquire('another-run');
    const message: SuppressionMessage = { type: 'suppress', entries: [{ address: 'gone@example.com', reason: 'BOUNCE' }], attempt: 1 };
    const response = await harness.invokeWriter(sqsRecord(JSON.stringify(message)));
    expect(response.batchItemFailures).toEqual([]);
    expect(waits).toBe(3);
    expect(harness.queues.requests).toEqual([]);
    expect(harness.ses.list.get('gone@example.com')).toBe('BOUNCE');
    expect(harness.lease.holder).toBeUndefined();
  });

  it('takes over a lease that lapsed (its run died holding it)', async () => {
    const harness = createHarness();
    await harness.lease.acquire('a-run-that-died');
    harness.clock.advanceSeconds(241);
    await harness.queues.request([{ address: 'gone@example.com', reason: 'BOUNCE' }]);
    await harness.settle();
    expect(harness.ses.list.get('gone@example.com')).toBe('BOUNCE');
    expect(harness.lease.waited).toBe(0);
  });

  it('starts no SES call the run has no time left for: the rest goes back to the queue, each address put once, no dead letter', async () => {
    let left = 0;
    const harness = createHarness({ timeLeft: () => left });
    const addresses = Array.from({ length: 10 }, (_, i) => `r${i}@example.com`);
    await harness.queues.request(addresses.map((address) => ({ address, reason: 'BOUNCE' })));
    // Each run has time for three calls: the budget before each, less one call's worth per call made.
    harness.ses.before = () => {
      left -= RUN_BUDGET.callMs;
    };
    let runs = 0;
    while (harness.queues.requests.length > 0) {
      left = RUN_BUDGET.reserveMs + 3 * RUN_BUDGET.callMs;
      const bodies = harness.queues.requests.splice(0).map((r) => r.body);
      const response = await harness.invokeWriter(...bodies.map((body) => sqsRecord(body)));
      expect(response.batchItemFailures).toEqual([]);
      runs++;
    }
    expect(runs).toBe(4);
    expect(harness.ses.calls.map((c) => c.address)).toEqual(addresses);
    expect(harness.deadLetters.parked).toEqual([]);
  });

  it('hands back a removal the run has no time for; the tick\'s part stays due for the next tick', async () => {
    let left = 180_000;
    const harness = createHarness({ timeLeft: () => left });
    await harness.drain(escalation('full@example.com'));
    harness.clock.advanceSeconds(TEMPORARY_FOR_SECONDS + DAY);
    left = RUN_BUDGET.callMs;
    const response = await harness.invokeWriter(sqsRecord(TICK), sqsRecord(JSON.stringify({ type: 'unsuppress', addresses: ['full@example.com'], attempt: 1 })));
    expect(response.batchItemFailures).toEqual([]);
    expect(harness.ses.removals).toEqual([]);
    expect(harness.queues.bodies()).toEqual([JSON.stringify({ type: 'unsuppress', addresses: ['full@example.com'], attempt: 1 })]);
    left = 180_000;
    await harness.settle();
    expect(harness.ses.removals).toEqual(['full@example.com']);
  });
});

describe('SES import jobs run beside the writer', () => {
  /** 30 hard bounces at once: one import job. */
  const burst = Array.from({ length: 30 }, (_, i) => hardBounce(`burst${i}@example.com`));

  it('never records a bounce over a complaint that came while its import job ran, and restores the complaint its job\'s BOUNCE overwrote at SES', async () => {
    const harness = createHarness();
    harness.imports.runningPolls = 1;
    await harness.process(burst);
    // The job is created and its first look finds it running; meanwhile the address complains.
    await harness.invokeWriter(...harness.queues.requests.splice(0).map((r) => sqsRecord(r.body)));
    await harness.process([complaint('burst7@example.com')]);
    await harness.settle();
    expect(harness.ses.list.get('burst7@example.com')).toBe('COMPLAINT');
    expect(harness.ledger.entries.get('burst7@example.com')?.reason).toBe('COMPLAINT');
    expect(harness.ses.calls.filter((c) => c.address === 'burst7@example.com').map((c) => c.reason)).toEqual(['COMPLAINT', 'COMPLAINT']);
    expect(harness.ses.list.size).toBe(30);
  });

  it('acknowledges the follow-up of a DELETE job an earlier version started: its rows, still marked removing, are finished by the tick', async () => {
    const harness = createHarness();
    await harness.drain(escalation('full@example.com'));
    harness.clock.advanceSeconds(TEMPORARY_FOR_SECONDS + DAY);
    const until = harness.ledger.entries.get('full@example.com')?.temporaryUntil ?? '';
    await harness.ledger.startRemoval({ address: 'full@example.com', until });
    const legacy = { type: 'follow-import', job: { jobId: 'job-old', objectKey: 'imports/pipeline/old.jsonl', rows: 1, action: 'DELETE' }, attempt: 1, polls: 4 };
    expect((await harness.invokeWriter(sqsRecord(JSON.stringify(legacy)))).batchItemFailures).toEqual([]);
    await tick(harness);
    expect(harness.ses.list.has('full@example.com')).toBe(false);
    expect(harness.ledger.entries.has('full@example.com')).toBe(false);
    expect(harness.deadLetters.parked).toEqual([]);
  });

  it('creates no job when SQS refuses its follow-up: the message comes back, and the one job it then creates is followed', async () => {
    const harness = createHarness();
    await harness.process(burst);
    const followImport = harness.queues.followImport.bind(harness.queues);
    let refusals = 1;
    harness.queues.followImport = async (...args) => {
      if (refusals-- > 0) throw Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailable' });
      await followImport(...args);
    };
    expect((await harness.settle()).redriven).toEqual([]);
    expect(harness.imports.jobs.size).toBe(1);
    expect(harness.ses.list.size).toBe(30);
  });
});

describe('import jobs within a run', () => {
  const burst = Array.from({ length: 30 }, (_, i) => hardBounce(`job${i}@example.com`));

  it('fails back to SQS only the messages holding the rows of a job SES throttled; the one job they then make is followed', async () => {
    const harness = createHarness();
    harness.imports.throttleCreates = 1;
    await harness.process(burst);
    const records = harness.queues.requests.splice(0).map((r) => sqsRecord(r.body));
    const response = await harness.invokeWriter(...records);
    expect(response.batchItemFailures.length).toBeGreaterThan(0);
    const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    for (const record of records) if (failed.has(record.messageId)) harness.queues.requests.push({ body: record.body, delaySeconds: 0 });
    expect((await harness.settle()).redriven).toEqual([]);
    expect(harness.ses.list.size).toBe(30);
    expect(harness.imports.jobs.size).toBe(1);
    expect(harness.deadLetters.parked).toEqual([]);
  });

  it('looks at an ended job only with time to settle each of its rows; otherwise the look goes back to the queue', async () => {
    let left = 180_000;
    const harness = createHarness({ timeLeft: () => left });
    await harness.process(burst);
    await harness.invokeWriter(...harness.queues.requests.splice(0).map((r) => sqsRecord(r.body)));
    const [look] = harness.queues.requests.splice(0);
    // Time for a call and the reserve, not for settling 30 rows (0.5 ms each).
    left = RUN_BUDGET.callMs + RUN_BUDGET.reserveMs + 10;
    expect((await harness.invokeWriter(sqsRecord(look?.body ?? ''))).batchItemFailures).toEqual([]);
    expect(harness.imports.statusCalls).toBe(0);
    expect(harness.queues.requests).toEqual([{ body: look?.body, delaySeconds: 0 }]);
    left = 180_000;
    await harness.settle();
    expect(harness.ledger.entries.size).toBe(30);
  });
});

describe('an operator\'s removal goes through the writer', () => {
  it('records that SES refused the removal, with SES\'s reason, and keeps the address: no retry, no dead letter', async () => {
    const harness = createHarness();
    await harness.drain([hardBounce('kept@example.com')]);
    harness.ses.failWith(new SuppressionRejectedError('SES rejected DeleteSuppressedDestination (BadRequestException): refused for test'));
    await harness.queues.requeue([{ type: 'remove', address: 'kept@example.com', request: 'r-3' }], 0);
    expect((await harness.settle()).redriven).toEqual([]);
    expect(harness.operatorRequests.outcomes.get('r-3')).toBe('refused');
    expect(harness.ledger.entries.has('kept@example.com')).toBe(true);
    expect(harness.deadLetters.parked).toEqual([]);
  });

  it('takes the address off the list whatever put it there, forgets it, announces it and records the outcome', async () => {
    const harness = createHarness();
    await harness.drain([complaint('back@example.com')]);
    await harness.queues.requeue([{ type: 'remove', address: 'back@example.com', request: 'r-1', note: 'ticket 4711' }], 0);
    await harness.queues.requeue([{ type: 'remove', address: 'never@example.com', request: 'r-2' }], 0);
    await harness.settle();
    expect(harness.ses.list.has('back@example.com')).toBe(false);
    expect(harness.ledger.entries.has('back@example.com')).toBe(false);
    expect(harness.operatorRequests.outcomes).toEqual(new Map([['r-1', 'removed'], ['r-2', 'not-listed']]));
    expect(harness.announcements.removed).toEqual([{ address: 'back@example.com', via: 'operator-removal' }]);
    // The next hard bounce suppresses it again.
    await harness.drain([hardBounce('back@example.com')]);
    expect(harness.ses.list.get('back@example.com')).toBe('BOUNCE');
  });

  it('never weakens a complaint with an operator\'s BOUNCE, and records the operator\'s rows as theirs', async () => {
    const harness = createHarness();
    await harness.drain([complaint('angry@example.com')]);
    await harness.queues.retry([{ address: 'angry@example.com', reason: 'BOUNCE' }, { address: 'new@example.com', reason: 'BOUNCE' }], 1, 'r-import');
    await harness.settle();
    expect(harness.ses.list.get('angry@example.com')).toBe('COMPLAINT');
    expect(harness.ledger.entries.get('new@example.com')).toMatchObject({ reason: 'BOUNCE', via: 'operator-import' });
  });
});
