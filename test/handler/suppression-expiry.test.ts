import { holdAgainstRemoval, SuppressionRejectedError, type SuppressionEntry } from '../../lambdas/domain/index.js';
import { SimulatedCrash, throttled } from '../support/fakes.js';
import { snsEnvelope, variant } from '../support/fixtures.js';
import { createHarness, IMPORT_THRESHOLD, TEMPORARY_FOR_SECONDS } from '../support/harness.js';
import { sqsRecord } from '../support/sqs.js';

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
    expect(harness.announcements.removed).toEqual([{ address: 'full@example.com', via: 'put' }]);
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
 * Two writer instances run at once (the writer polls two queues, two pollers each), SES's removal
 * can take minutes, and an instance can die at any step. Another instance is played by calling the
 * domain's writer from inside a ledger call of the first (the ledger's `before` hook); a death, by
 * throwing there. The stack's SQS event source then delivers the message again.
 */
describe('soft-bounce suppressions expire: races and deaths', () => {
  const ADDRESS = 'full@example.com';
  const HARD: SuppressionEntry = { address: ADDRESS, reason: 'BOUNCE' };
  const COMPLAINT: SuppressionEntry = { address: ADDRESS, reason: 'COMPLAINT' };

  /** A harness with ADDRESS temporarily suppressed and due. */
  async function due(): Promise<ReturnType<typeof createHarness>> {
    const harness = createHarness();
    await harness.drain(escalation(ADDRESS));
    harness.clock.advanceSeconds(TEMPORARY_FOR_SECONDS + DAY);
    return harness;
  }

  /** Runs `work` once, the first time the ledger's `method` is called. */
  function once(harness: ReturnType<typeof createHarness>, method: string, work: () => Promise<unknown>): void {
    let done = false;
    harness.ledger.before = async (called) => {
      if (done || called !== method) return;
      done = true;
      await work();
    };
  }

  const kept = (harness: ReturnType<typeof createHarness>, reason: 'BOUNCE' | 'COMPLAINT' = 'BOUNCE'): void => {
    expect(harness.ses.list.get(ADDRESS)).toBe(reason);
    expect(harness.ledger.entries.get(ADDRESS)).toEqual(expect.objectContaining({ reason }));
    expect(harness.ledger.entries.get(ADDRESS)?.temporaryUntil).toBeUndefined();
    expect(harness.ledger.entries.get(ADDRESS)?.removing).toBeUndefined();
  };

  it.each([
    ['a hard bounce', HARD, 'BOUNCE'],
    ['a complaint', COMPLAINT, 'COMPLAINT'],
  ] as const)('puts the address back when %s is written while SES removes it', async (_name, entry, reason) => {
    const harness = await due();
    once(harness, 'finishRemoval', () => harness.writer.write([entry]));
    await tick(harness);
    expect(harness.ses.removals).toEqual([ADDRESS]);
    kept(harness, reason);
    expect(harness.announcements.announced.at(-1)).toEqual({ address: ADDRESS, reason, via: 'put' });
  });

  it('puts it back even when SES throttles the put-back and the message comes again', async () => {
    const harness = await due();
    once(harness, 'finishRemoval', async () => {
      await harness.writer.write([HARD]);
      harness.ses.failWith(throttled()); // the put-back's call
    });
    await tick(harness);
    kept(harness);
  });

  it('makes SES put it back when the hard bounce is written just after the removal finished (the ledger entry is gone)', async () => {
    const harness = await due();
    // The other instance read the entry as temporary before the removal; its change comes after.
    const read = await harness.ledger.suppressions([ADDRESS]);
    await tick(harness);
    expect(harness.ses.list.has(ADDRESS)).toBe(false);
    expect(await harness.ledger.makePermanent(ADDRESS)).toBe('absent');
    // What the writer does with that answer: it calls SES.
    await harness.writer.write([HARD]);
    expect(read.get(ADDRESS)?.temporaryUntil).toBeDefined();
    kept(harness);
  });

  it('makes SES put it back when the removal runs to its end between reading the entry and making it permanent', async () => {
    const harness = await due();
    once(harness, 'makePermanent', async () => {
      await harness.invokeWriter(sqsRecord(TICK));
      await harness.invokeWriter(...harness.queues.requests.splice(0).map((body) => sqsRecord(body)));
      expect(harness.ses.list.has(ADDRESS)).toBe(false);
    });
    await harness.writer.write([HARD]);
    kept(harness);
  });

  it('lets a temporary suppression settled late never replace a permanent one written meanwhile', async () => {
    const harness = createHarness();
    const flood = Array.from({ length: IMPORT_THRESHOLD }, (_, i) => `full${i}@example.com`);
    // The flood's import job is started; before it is followed, one of its addresses hard bounces.
    await harness.queues.request(flood.map((address): SuppressionEntry => ({ address, reason: 'BOUNCE', temporary: true })));
    await harness.invokeWriter(...harness.queues.requests.splice(0).map((body) => sqsRecord(body)));
    expect(harness.queues.importJobs).toHaveLength(1);
    await harness.writer.write([{ address: 'full3@example.com', reason: 'BOUNCE' }]);
    await harness.settle();
    expect(harness.ledger.entries.get('full3@example.com')?.temporaryUntil).toBeUndefined();
    expect(harness.ledger.entries.get('full4@example.com')?.temporaryUntil).toBeDefined();
    harness.clock.advanceSeconds(TEMPORARY_FOR_SECONDS + DAY);
    await tick(harness);
    expect([...harness.ses.list.keys()]).toEqual(['full3@example.com']);
  });

  it.each(['startRemoval', 'finishRemoval', 'completePutBack'])('finishes after the remover dies in %s, and keeps a hard bounce written while it was dead', async (method) => {
    const harness = await due();
    once(harness, method, async () => {
      if (method === 'completePutBack') return;
      throw new SimulatedCrash(method);
    });
    if (method === 'completePutBack') {
      // Dies right after SES put the address back: the ledger still says `removing`, wanted back.
      once(harness, 'finishRemoval', () => harness.writer.write([HARD]));
      let crashed = false;
      const inner = harness.ledger.before;
      harness.ledger.before = async (called) => {
        await inner?.(called);
        if (called === 'completePutBack' && !crashed) {
          crashed = true;
          throw new SimulatedCrash(called);
        }
      };
    }
    await harness.invokeWriter(sqsRecord(TICK));
    // The tick handed the removal over; its first delivery dies.
    const [removal] = harness.queues.requests.splice(0);
    const first = await harness.invokeWriter(sqsRecord(removal ?? ''));
    expect(first.batchItemFailures).toHaveLength(1);
    // While it is dead, a hard bounce arrives.
    await harness.writer.write([HARD]);
    // SQS delivers it again.
    const second = await harness.invokeWriter(sqsRecord(removal ?? '', 2));
    expect(second.batchItemFailures).toEqual([]);
    await harness.settle();
    kept(harness);
    expect(harness.deadLetters.parked).toEqual([]);
    // Its schedule entry is gone, or goes as stale at the next claim.
    harness.clock.advanceSeconds(3 * DAY + 60);
    await tick(harness);
    kept(harness);
    expect(harness.ledger.schedule.size).toBe(0);
  });

  /** The tick's removal message for ADDRESS, not yet delivered. */
  async function removalMessage(harness: ReturnType<typeof createHarness>): Promise<string> {
    await harness.invokeWriter(sqsRecord(TICK));
    const [removal] = harness.queues.requests.splice(0);
    if (removal === undefined) throw new Error('the tick handed over no removal');
    return removal;
  }

  it.each([
    ['an operator\'s import (written over the entry being removed)', async (harness: ReturnType<typeof createHarness>) => {
      harness.ses.list.set(ADDRESS, 'BOUNCE');
      await harness.ledger.recordSuppressed([HARD], { via: 'operator-import' }, harness.clock.now());
    }],
    ['another delivery of the same message that put it back (a hard bounce wanted it)', async (harness: ReturnType<typeof createHarness>, removal: string) => {
      await harness.writer.write([HARD]);
      await harness.invokeWriter(sqsRecord(removal));
    }],
  ] as const)('puts the address back when, after SES removed it, %s made the entry permanent and the remover died', async (_name, meanwhile) => {
    const harness = await due();
    const removal = await removalMessage(harness);
    once(harness, 'finishRemoval', async () => {
      expect(harness.ses.list.has(ADDRESS)).toBe(false);
      await meanwhile(harness, removal);
      // The first remover's late removal (the other put the address back between its read and its SES call).
      harness.ses.list.delete(ADDRESS);
      throw new SimulatedCrash('finishRemoval');
    });
    expect((await harness.invokeWriter(sqsRecord(removal))).batchItemFailures).toHaveLength(1);
    expect(harness.ses.list.has(ADDRESS)).toBe(false);
    expect(harness.ledger.entries.get(ADDRESS)?.removing).toBeUndefined();
    // SQS delivers it again: the ledger holds the address for good, so it goes back on the list.
    expect((await harness.invokeWriter(sqsRecord(removal, 2))).batchItemFailures).toEqual([]);
    kept(harness);
  });

  /** Runs `work` once, at the start of SES's first removal of an address (a single call, or a DELETE job as it completes). */
  function onceAtSesRemoval(harness: ReturnType<typeof createHarness>, work: () => Promise<unknown>): void {
    let done = false;
    harness.ses.before = async (change) => {
      if (done || change !== 'unsuppress') return;
      done = true;
      await work();
    };
  }

  it('puts back an address an operator imports across a removal: held before SES is called, written over after SES removed it', async () => {
    const harness = await due();
    const removal = await removalMessage(harness);
    // The operator's import holds the entry and SES accepts its row, just before the remover's SES call.
    onceAtSesRemoval(harness, async () => {
      await holdAgainstRemoval(harness.ledger, [HARD], harness.clock.now());
      harness.ses.list.set(ADDRESS, 'BOUNCE');
    });
    expect((await harness.invokeWriter(sqsRecord(removal))).batchItemFailures).toEqual([]);
    // ... and writes the ledger only after the remover settled.
    await harness.ledger.recordSuppressed([HARD], { via: 'operator-import' }, harness.clock.now());
    await harness.settle();
    kept(harness);
  });

  it('looks again after a put-back: a second delivery that removed the address after it and died, its message gone, is repaired', async () => {
    const harness = await due();
    const removal = await removalMessage(harness);
    onceAtSesRemoval(harness, async () => {
      // A hard bounce wants it back, and SQS's duplicate of the message runs in full: it puts the address back and deletes the message.
      await harness.writer.write([HARD]);
      expect((await harness.invokeWriter(sqsRecord(removal))).batchItemFailures).toEqual([]);
      expect(harness.ses.list.has(ADDRESS)).toBe(true);
    });
    once(harness, 'finishRemoval', () => {
      throw new SimulatedCrash('finishRemoval');
    });
    // The first delivery's SES call now takes the address off, and it dies; its message is gone, so SQS never delivers it again.
    await harness.invokeWriter(sqsRecord(removal));
    expect(harness.ses.list.has(ADDRESS)).toBe(false);
    // The put-back's look, 15 minutes later.
    await harness.settle();
    kept(harness);
  });

  it('puts back a removal wanted back before its remover died without asking SES to remove it again', async () => {
    const harness = await due();
    const removal = await removalMessage(harness);
    once(harness, 'finishRemoval', async () => {
      await harness.writer.write([COMPLAINT]);
      throw new SimulatedCrash('finishRemoval');
    });
    await harness.invokeWriter(sqsRecord(removal));
    expect(harness.ses.removals).toEqual([ADDRESS]);
    await harness.invokeWriter(sqsRecord(removal, 2));
    expect(harness.ses.removals).toEqual([ADDRESS]);
    kept(harness, 'COMPLAINT');
  });

  it('puts back as a complaint an address that complained while its bounce was being put back', async () => {
    const harness = await due();
    once(harness, 'finishRemoval', () => harness.writer.write([HARD]));
    let crossed = false;
    const inner = harness.ledger.before;
    harness.ledger.before = async (called) => {
      await inner?.(called);
      if (called === 'completePutBack' && !crossed) {
        crossed = true;
        await harness.writer.write([COMPLAINT]);
      }
    };
    await tick(harness);
    kept(harness, 'COMPLAINT');
    expect(harness.announcements.announced.at(-1)).toEqual({ address: ADDRESS, reason: 'COMPLAINT', via: 'put' });
  });

  it('puts back for another period, not for good, an address whose soft bounces escalated again while SES removed it', async () => {
    const harness = await due();
    once(harness, 'finishRemoval', () => harness.writer.write([{ address: ADDRESS, reason: 'BOUNCE', temporary: true }]));
    await tick(harness);
    const until = harness.ledger.entries.get(ADDRESS)?.temporaryUntil ?? '';
    expect(Date.parse(until) - harness.clock.now().getTime()).toBeGreaterThan((TEMPORARY_FOR_SECONDS - DAY) * 1000);
    expect(harness.ses.list.get(ADDRESS)).toBe('BOUNCE');
    expect(harness.announcements.announced.at(-1)).toEqual({ address: ADDRESS, reason: 'BOUNCE', via: 'put', until });
    expect([...harness.ledger.schedule.values()].map((e) => e.until)).toEqual([until]);
    // That period ends like any other.
    harness.clock.advanceSeconds(TEMPORARY_FOR_SECONDS + DAY);
    await tick(harness);
    expect(harness.ses.list.has(ADDRESS)).toBe(false);
    expect(harness.ledger.entries.has(ADDRESS)).toBe(false);
  });

  it('follows a DELETE import job that outlasts its looks to its end (a human hears once), and puts back what was wanted back meanwhile', async () => {
    const harness = createHarness({ importThreshold: 2, maxLooks: 4 });
    const addresses = ['full0@example.com', 'full1@example.com'];
    await harness.drain(addresses.flatMap(escalation));
    harness.clock.advanceSeconds(TEMPORARY_FOR_SECONDS + DAY);
    harness.imports.runningPolls = 10;
    await harness.invokeWriter(sqsRecord(TICK));
    await harness.invokeWriter(...harness.queues.requests.splice(0).map((body) => sqsRecord(body)));
    expect([...harness.imports.jobs.values()].map((j) => j.action)).toEqual(['PUT', 'DELETE']);
    // While SES takes its time, full0 hard bounces: it is wanted back.
    await harness.writer.write([{ address: 'full0@example.com', reason: 'BOUNCE' }]);
    await harness.settle();
    expect(harness.deadLetters.parked).toHaveLength(1);
    expect(harness.deadLetters.parked[0]?.reason).toMatch(/^import job job-2 \(DELETE, 2 rows\) still running after 4 looks; still followed/);
    expect([...harness.ses.list.keys()]).toEqual(['full0@example.com']);
    expect(harness.ledger.entries.get('full0@example.com')).toEqual(expect.objectContaining({ reason: 'BOUNCE' }));
    expect(harness.ledger.entries.get('full0@example.com')?.temporaryUntil).toBeUndefined();
    expect(harness.ledger.entries.has('full1@example.com')).toBe(false);
    expect(harness.imports.jobs.size).toBe(2);
  });

  it('gives up on a suppression claimed 5 times without being settled: it stays on the list for good, parked for a human', async () => {
    const harness = await due();
    for (let claim = 1; claim <= 5; claim++) {
      await harness.invokeWriter(sqsRecord(TICK));
      expect(harness.queues.requests.splice(0)).toHaveLength(1); // its message is lost
      harness.clock.advanceSeconds(3 * DAY + 60); // the lease runs out
    }
    await tick(harness);
    kept(harness);
    expect(harness.deadLetters.parked.map((p) => JSON.parse(p.body))).toEqual([{ type: 'unsuppress', addresses: [ADDRESS], attempt: 1 }]);
    expect(harness.deadLetters.parked[0]?.reason).toMatch(/^1 address\(es\) not taken off the list \(f\*+@example\.com\): claimed 5 times without being settled; it stays on the list$/);
    harness.clock.advanceSeconds(10 * DAY);
    await tick(harness);
    expect(harness.deadLetters.parked).toHaveLength(1);
  });

  it('gives up on an old claim without making the newer temporary suppression of the same address permanent', async () => {
    const harness = await due();
    const old = harness.ledger.entries.get(ADDRESS)?.temporaryUntil ?? '';
    // The old suppression ended (its schedule entry lost, claimed 5 times); soft bounces suppressed the address again since.
    harness.ledger.entries.delete(ADDRESS);
    const newer = new Date(harness.clock.now().getTime() + TEMPORARY_FOR_SECONDS * 1000).toISOString();
    await harness.ledger.recordSuppressed([{ address: ADDRESS, reason: 'BOUNCE', until: newer }], { via: 'put' }, harness.clock.now());
    harness.ledger.schedule.set(`${old}#${ADDRESS}`, { address: ADDRESS, until: old, claims: 5 });
    await tick(harness);
    expect(harness.ledger.entries.get(ADDRESS)?.temporaryUntil).toBe(newer);
    expect(harness.ledger.schedule.has(`${old}#${ADDRESS}`)).toBe(false);
    harness.clock.advanceSeconds(TEMPORARY_FOR_SECONDS + DAY);
    await tick(harness);
    expect(harness.ses.list.has(ADDRESS)).toBe(false);
  });

  it('puts an address wanted back for a while that ran out during the removal back until at least a lease from now', async () => {
    const harness = await due();
    // Soft bounces want it back for a while, which runs out before the removal settles (a slow DELETE job, say).
    once(harness, 'finishRemoval', async () => {
      await harness.writer.write([{ address: ADDRESS, reason: 'BOUNCE', temporary: true }]);
      harness.clock.advanceSeconds(TEMPORARY_FOR_SECONDS + DAY);
    });
    await tick(harness);
    const until = harness.ledger.entries.get(ADDRESS)?.temporaryUntil ?? '';
    expect(Date.parse(until) - harness.clock.now().getTime()).toBeGreaterThanOrEqual(3 * DAY * 1000 - 3600 * 1000);
    expect([...harness.ledger.schedule.values()].map((e) => e.until)).toEqual([until]);
    expect(harness.ses.list.get(ADDRESS)).toBe('BOUNCE');
  });

  it('keeps a temporary suppression for good once the period is set to 0 (the tick makes it permanent when it comes due)', async () => {
    const harness = createHarness({ temporaryForSeconds: 0 });
    const until = new Date(harness.clock.now().getTime() + DAY * 1000).toISOString();
    harness.ses.list.set(ADDRESS, 'BOUNCE');
    await harness.ledger.recordSuppressed([{ address: ADDRESS, reason: 'BOUNCE', until }], { via: 'put' }, harness.clock.now());
    harness.clock.advanceSeconds(2 * DAY);
    await tick(harness);
    expect(harness.ses.removals).toEqual([]);
    kept(harness);
  });
});

describe('soft-bounce suppressions expire: the period, floods, throttling, leases', () => {
  it('keeps escalated suppressions for good when the period is 0, and the tick does nothing', async () => {
    const harness = createHarness({ temporaryForSeconds: 0 });
    await harness.drain(escalation('full@example.com'));
    expect(harness.ledger.entries.get('full@example.com')?.temporaryUntil).toBeUndefined();
    expect(harness.announcements.announced[0]?.until).toBeUndefined();
    harness.clock.advanceSeconds(10 * 365 * DAY);
    await tick(harness);
    expect(harness.ses.list.get('full@example.com')).toBe('BOUNCE');
    expect(harness.ses.removals).toEqual([]);
  });

  it('turns a flood of due suppressions into a DELETE import job; a row SES refuses is retried, then parked with the reason and no longer claimed', async () => {
    const harness = createHarness();
    const addresses = Array.from({ length: IMPORT_THRESHOLD + 5 }, (_, i) => `full${i}@example.com`);
    await harness.drain(addresses.flatMap(escalation));
    expect(harness.ses.list.size).toBe(addresses.length);
    // SES refuses one row in the job, and the single call that retries it.
    harness.imports.refuse.add('full7@example.com');
    harness.ses.failWith(new SuppressionRejectedError('SES rejected DeleteSuppressedDestination (BadRequestException): invalid'));

    harness.clock.advanceSeconds(TEMPORARY_FOR_SECONDS + DAY);
    await tick(harness);
    const deleteJobs = [...harness.imports.jobs.values()].filter((j) => j.action === 'DELETE');
    expect(deleteJobs).toHaveLength(1);
    expect(harness.ses.removals).toEqual(['full7@example.com']); // the one retry, alone: a single call
    expect([...harness.ses.list.keys()]).toEqual(['full7@example.com']);
    expect(harness.announcements.removed).toHaveLength(addresses.length - 1);
    expect(harness.ledger.expired).toHaveLength(addresses.length - 1);
    expect(harness.deadLetters.parked.map((p) => JSON.parse(p.body))).toEqual([{ type: 'unsuppress', addresses: ['full7@example.com'], attempt: 2 }]);
    expect(harness.deadLetters.parked[0]?.reason).toMatch(/^1 address\(es\) not taken off the list \(f\*+@example\.com\): SES rejected DeleteSuppressedDestination/);
    expect(harness.deadLetters.parked[0]?.reason).not.toContain('full7@example.com');
    // Parked for a human: the address stays on the list (the safe side), and no tick claims it again.
    expect(harness.ledger.schedule.size).toBe(0);
    harness.clock.advanceSeconds(2 * DAY);
    await tick(harness);
    expect(harness.ses.removals).toEqual(['full7@example.com']);
  });

  it('retries a removal that SES throttled, through the queue, and loses none', async () => {
    const harness = createHarness();
    await harness.drain([...escalation('a@example.com'), ...escalation('b@example.com')]);
    harness.clock.advanceSeconds(TEMPORARY_FOR_SECONDS + DAY);
    harness.ses.failWith(throttled());
    await tick(harness);
    expect(harness.ses.list.size).toBe(0);
    expect(harness.announcements.removed.map((r) => r.address).sort()).toEqual(['a@example.com', 'b@example.com']);
    expect(harness.deadLetters.parked).toEqual([]);
  });

  it('claims a due suppression once per lease: a second tick while the first is being settled finds nothing', async () => {
    const harness = createHarness();
    await harness.drain(escalation('full@example.com'));
    harness.clock.advanceSeconds(TEMPORARY_FOR_SECONDS + DAY);
    await harness.invokeWriter(sqsRecord(TICK));
    await harness.invokeWriter(sqsRecord(TICK));
    expect(harness.queues.requests.filter((body) => JSON.parse(body).type === 'unsuppress')).toHaveLength(1);
  });
});

describe('soft-bounce suppressions expire: put-backs of any size, restores that never weaken', () => {
  const many = (n: number): string[] => Array.from({ length: n }, (_, i) => `full${i}@example.com`);

  /** A harness with `addresses` temporarily suppressed and due. */
  async function due(addresses: readonly string[]): Promise<ReturnType<typeof createHarness>> {
    const harness = createHarness();
    await harness.drain(addresses.flatMap(escalation));
    expect(harness.ses.list.size).toBe(addresses.length);
    harness.clock.advanceSeconds(TEMPORARY_FOR_SECONDS + DAY);
    return harness;
  }

  const keptForGood = (harness: ReturnType<typeof createHarness>, addresses: readonly string[], reason: 'BOUNCE' | 'COMPLAINT'): void => {
    for (const address of addresses) {
      expect([address, harness.ses.list.get(address)]).toEqual([address, reason]);
      expect([address, harness.ledger.entries.get(address)]).toEqual([address, expect.objectContaining({ reason })]);
      const { temporaryUntil, removing, wantedBack } = harness.ledger.entries.get(address) ?? {};
      expect([address, temporaryUntil, removing, wantedBack]).toEqual([address, undefined, undefined, undefined]);
    }
  };

  it('puts back a flood that complained while its DELETE job ran with one PUT import job, settled in the ledger when its follow-up finds it done', async () => {
    const addresses = many(IMPORT_THRESHOLD + 5);
    const harness = await due(addresses);
    const singleCalls = harness.ses.calls.length;
    let complained = false;
    harness.ledger.before = async (method) => {
      if (method !== 'finishRemoval' || complained) return;
      complained = true;
      // SES has removed them; every one complains before the remover settles (wanted back, no SES call).
      expect((await harness.writer.write(addresses.map((address) => ({ address, reason: 'COMPLAINT' })))).madePermanent).toBe(addresses.length);
    };
    await tick(harness);
    keptForGood(harness, addresses, 'COMPLAINT');
    // No single call: the put-back went as one import job of every row, not one paced call per address.
    expect(harness.ses.calls.length).toBe(singleCalls);
    const jobs = [...harness.imports.files.values()];
    const putBackJob = jobs.find((rows) => rows.every((r) => r.putBack !== undefined));
    expect(putBackJob?.map((r) => `${r.entry.address} ${r.entry.reason}`).sort()).toEqual(addresses.map((a) => `${a} COMPLAINT`).sort());
    // Announced from the job (and again by the restore job of the look after it: at least once, never not).
    expect(new Set(harness.announcements.announced.filter((a) => a.reason === 'COMPLAINT' && a.via === 'import').map((a) => a.address))).toEqual(new Set(addresses));
    expect(harness.deadLetters.parked).toEqual([]);
    // The put-back job and the look after it (a restore job, which does not look again), no more.
    expect(jobs.filter((rows) => rows.every((r) => r.putBack !== undefined))).toHaveLength(2);
    expect(harness.ledger.schedule.size).toBe(0);
  });

  it('gives up on more stuck removals at once than a run could put back one by one: the ledger keeps them first, one put-back job puts them back', async () => {
    const addresses = many(IMPORT_THRESHOLD + 5);
    const harness = await due(addresses);
    // SES's DELETE jobs never end for the writer: their follow-ups are lost, and so are the claims' messages after the first.
    harness.imports.runningPolls = 1_000;
    for (let claim = 1; claim <= 5; claim++) {
      await harness.invokeWriter(sqsRecord(TICK));
      const handedOver = harness.queues.requests.splice(0);
      if (claim === 1) await harness.invokeWriter(...handedOver.map((body) => sqsRecord(body)));
      harness.queues.importJobs.splice(0);
      harness.clock.advanceSeconds(3 * DAY + 60);
    }
    for (const address of addresses) expect(harness.ledger.entries.get(address)?.removing).toBeDefined();
    harness.imports.runningPolls = 0;
    const singleCalls = harness.ses.calls.length;
    await harness.invokeWriter(sqsRecord(TICK));
    // Before SES is called, each is kept in the ledger: a redrive, or the lost job's own late end, puts it back too.
    for (const address of addresses) expect([address, harness.ledger.entries.get(address)?.wantedBack]).toEqual([address, 'BOUNCE']);
    await harness.settle();
    keptForGood(harness, addresses, 'BOUNCE');
    expect(harness.ses.calls.length).toBe(singleCalls);
    expect(harness.deadLetters.parked.every((p) => /not taken off the list .*: claimed 5 times without being settled; it stays on the list$/.test(p.reason))).toBe(true);
    expect(harness.deadLetters.parked.flatMap((p) => JSON.parse(p.body).addresses).sort()).toEqual([...addresses].sort());
  });

  it('retries a row SES refused in a put-back job from the ledger (what it wants by then), and settles it like the others', async () => {
    const addresses = many(IMPORT_THRESHOLD + 1);
    const harness = await due(addresses);
    let bounced = false;
    harness.ledger.before = async (method) => {
      if (method !== 'finishRemoval' || bounced) return;
      bounced = true;
      // Every one hard bounces before the remover settles; SES will refuse full3's row of the put-back job.
      await harness.writer.write(addresses.map((address) => ({ address, reason: 'BOUNCE' })));
      harness.imports.refuse.add('full3@example.com');
    };
    // While the put-back job runs, full3 complains: wanted back as COMPLAINT now.
    let complained = false;
    harness.ses.before = async (change) => {
      if (change !== 'suppress' || complained || !bounced) return;
      complained = true;
      await harness.writer.write([{ address: 'full3@example.com', reason: 'COMPLAINT' }]);
    };
    const singleCalls = harness.ses.calls.length;
    await tick(harness);
    keptForGood(harness, addresses.filter((a) => a !== 'full3@example.com'), 'BOUNCE');
    keptForGood(harness, ['full3@example.com'], 'COMPLAINT');
    const putBackJob = [...harness.imports.files.values()].find((rows) => rows.every((r) => r.putBack !== undefined));
    expect(putBackJob?.map((r) => r.entry.address)).toContain('full3@example.com');
    // The one row retried, by itself, with what the ledger wants by then (not the job's BOUNCE): the only single call.
    expect(harness.ses.calls.slice(singleCalls)).toEqual([{ address: 'full3@example.com', reason: 'COMPLAINT' }]);
    expect(harness.deadLetters.parked).toEqual([]);
  });

  it('restores again, asking SES first, a row whose complaint a restore job overwrote with its BOUNCE', async () => {
    const addresses = many(IMPORT_THRESHOLD);
    const harness = createHarness();
    await harness.drain(addresses.map((a) => hardBounce(a)));
    // A look-again finds them all in the ledger: a restore job, which cannot ask SES first. A complaint
    // for full0 lands at SES and in the ledger while the job runs; the job's BOUNCE row lands after it.
    let crossed = false;
    harness.ses.before = async (change) => {
      if (change !== 'suppress' || crossed || harness.imports.jobs.size === 0) return;
      crossed = true;
      await harness.writer.write([{ address: 'full0@example.com', reason: 'COMPLAINT' }]);
    };
    const jobsBefore = harness.imports.jobs.size;
    await harness.invokeWriter(sqsRecord(JSON.stringify({ type: 'unsuppress', addresses, attempt: 1 })));
    expect(harness.imports.jobs.size).toBe(jobsBefore + 1);
    await harness.settle();
    expect(harness.ses.list.get('full0@example.com')).toBe('COMPLAINT');
    expect(harness.ledger.entries.get('full0@example.com')?.reason).toBe('COMPLAINT');
    for (const address of addresses.slice(1)) expect([address, harness.ses.list.get(address)]).toEqual([address, 'BOUNCE']);
    expect(harness.queues.requests).toEqual([]);
  });

  it('keeps the hourly tick going when SES refuses to put back what it gives up on: the ledger keeps them, the parked messages say so, and a redrive puts them back', async () => {
    const stuck = many(IMPORT_THRESHOLD);
    const harness = await due(stuck);
    for (let claim = 1; claim <= 5; claim++) {
      await harness.invokeWriter(sqsRecord(TICK));
      expect(harness.queues.requests.splice(0)).toHaveLength(1); // its message is lost
      harness.clock.advanceSeconds(3 * DAY + 60);
    }
    // Another address comes due meanwhile; SES lost the stuck ones, and refuses the job that would put them back.
    await harness.drain(escalation('later@example.com'));
    harness.clock.advanceSeconds(TEMPORARY_FOR_SECONDS + DAY);
    for (const address of stuck) harness.ses.list.delete(address);
    const create = harness.imports.create.bind(harness.imports);
    const spy = jest.spyOn(harness.imports, 'create').mockImplementation(async (job) => {
      if (!job.putBack) return create(job);
      harness.imports.refuseJobs(1, 'SES rejected CreateImportJob (BadRequestException): sandbox');
      return create(job);
    });
    await tick(harness);
    // The tick did its work: the other address ended.
    expect(harness.ses.list.has('later@example.com')).toBe(false);
    expect(harness.ledger.entries.has('later@example.com')).toBe(false);
    for (const address of stuck) expect([address, harness.ledger.entries.get(address)?.temporaryUntil, harness.ledger.entries.has(address)]).toEqual([address, undefined, true]);
    expect(harness.deadLetters.parked.map((p) => p.reason)).toEqual([
      expect.stringMatching(/^25 address\(es\) not taken off the list \(.*\): claimed 5 times without being settled; it stays on the list, but SES refused to put it back \(SES rejected CreateImportJob \(BadRequestException\): sandbox\): a redrive puts it back$/),
    ]);
    spy.mockRestore();
    for (const parked of harness.deadLetters.parked) await harness.invokeWriter(sqsRecord(parked.body));
    await harness.settle();
    for (const address of stuck) expect([address, harness.ses.list.get(address)]).toEqual([address, 'BOUNCE']);
  });

  it('parks the rows of a put-back job that keep failing as a removal to redo, which a redrive puts back from the ledger', async () => {
    const addresses = many(IMPORT_THRESHOLD + 1);
    const harness = createHarness({ importThreshold: IMPORT_THRESHOLD, maxAttempts: 1 });
    await harness.drain(addresses.flatMap(escalation));
    harness.clock.advanceSeconds(TEMPORARY_FOR_SECONDS + DAY);
    let complained = false;
    harness.ledger.before = async (method) => {
      if (method !== 'finishRemoval' || complained) return;
      complained = true;
      await harness.writer.write(addresses.map((address) => ({ address, reason: 'COMPLAINT' })));
      harness.imports.failJobs(1);
    };
    await tick(harness);
    expect(harness.deadLetters.parked).toHaveLength(1);
    const [parked] = harness.deadLetters.parked;
    expect(parked?.reason).toMatch(/^26 address\(es\) not put back on the list \(f\*+@example\.com, .* and 21 more\): import job job-\d+ failed: Access denied to the data source$/);
    expect(JSON.parse(parked?.body ?? '')).toEqual({ type: 'unsuppress', addresses: expect.arrayContaining(addresses), attempt: 1 });
    // Off the list at SES, still wanted back in the ledger: nothing is lost, and the redrive finishes it.
    expect(harness.ses.list.size).toBe(0);
    for (const address of addresses) expect(harness.ledger.entries.get(address)?.wantedBack).toBe('COMPLAINT');
    await harness.invokeWriter(sqsRecord(parked?.body ?? ''));
    await harness.settle();
    keptForGood(harness, addresses, 'COMPLAINT');
  });

  it('restores without weakening: SES is asked first, and a complaint another writer put meanwhile stays', async () => {
    const harness = createHarness();
    await harness.drain([hardBounce('gone@example.com')]);
    // A look-again (or a late remover) finds the address in the ledger as BOUNCE; a complaint lands
    // at SES and in the ledger just before the restore asks SES.
    let crossed = false;
    harness.ses.before = async (change) => {
      if (change !== 'read' || crossed) return;
      crossed = true;
      await harness.writer.write([{ address: 'gone@example.com', reason: 'COMPLAINT' }]);
    };
    const putsBefore = harness.ses.calls.length;
    await harness.invokeWriter(sqsRecord(JSON.stringify({ type: 'unsuppress', addresses: ['gone@example.com'], attempt: 1 })));
    await harness.settle();
    expect(harness.ses.list.get('gone@example.com')).toBe('COMPLAINT');
    expect(harness.ledger.entries.get('gone@example.com')?.reason).toBe('COMPLAINT');
    // The complaint's own call only: the restore found the address on the list and left it.
    expect(harness.ses.calls.slice(putsBefore)).toEqual([{ address: 'gone@example.com', reason: 'COMPLAINT' }]);
  });

  it('restores an address SES lost, and repairs on its look a complaint its BOUNCE crossed', async () => {
    const harness = createHarness();
    await harness.drain([hardBounce('gone@example.com')]);
    harness.ses.list.delete('gone@example.com'); // a removal that crossed it
    // The complaint's writer puts it between the restore's question and its call.
    let crossed = false;
    harness.ses.before = async (change) => {
      if (change !== 'suppress' || crossed) return;
      crossed = true;
      await harness.writer.write([{ address: 'gone@example.com', reason: 'COMPLAINT' }]);
    };
    await harness.invokeWriter(sqsRecord(JSON.stringify({ type: 'unsuppress', addresses: ['gone@example.com'], attempt: 1 })));
    expect(harness.ses.list.get('gone@example.com')).toBe('BOUNCE');
    expect(harness.ledger.entries.get('gone@example.com')?.reason).toBe('COMPLAINT');
    // The look after the restore puts the ledger's complaint; the look after that finds SES agreeing, and ends.
    await harness.settle();
    expect(harness.ses.list.get('gone@example.com')).toBe('COMPLAINT');
    expect(harness.ses.reads.filter((a) => a === 'gone@example.com')).toHaveLength(3);
    expect(harness.queues.requests).toEqual([]);
  });

  it('looks again after every removal: a second delivery whose removal reaches SES after a new hard bounce put the address back is repaired', async () => {
    const harness = createHarness();
    await harness.drain(escalation('x@example.com'));
    harness.clock.advanceSeconds(TEMPORARY_FOR_SECONDS + DAY);
    await harness.invokeWriter(sqsRecord(TICK));
    const [removal = ''] = harness.queues.requests.splice(0);
    // SQS delivers the removal twice. The second delivery has read the entry as due, and its call
    // waits for its turn at SES; meanwhile the first ends the suppression, and the address hard
    // bounces: another writer puts it on the list, and records it only after its other paced calls.
    let release: () => void = () => undefined;
    const recordLater = new Promise<void>((resolve) => (release = resolve));
    let hardBounceWriter: Promise<unknown> = Promise.resolve();
    harness.ses.before = async (change) => {
      if (change !== 'unsuppress') return;
      harness.ses.before = undefined;
      await harness.invokeWriter(sqsRecord(removal));
      harness.ledger.before = async (method) => {
        if (method !== 'recordSuppressed') return;
        harness.ledger.before = undefined;
        await recordLater;
      };
      hardBounceWriter = harness.writer.write([{ address: 'x@example.com', reason: 'BOUNCE' }]);
      while (!harness.ses.list.has('x@example.com')) await new Promise((resolve) => setImmediate(resolve));
    };
    await harness.invokeWriter(sqsRecord(removal));
    release();
    await hardBounceWriter;
    // The second delivery's removal took it off after the hard bounce put it on; the ledger says it stays.
    expect(harness.ses.list.has('x@example.com')).toBe(false);
    expect(harness.ledger.entries.get('x@example.com')).toEqual(expect.objectContaining({ reason: 'BOUNCE' }));
    expect(harness.ledger.entries.get('x@example.com')?.temporaryUntil).toBeUndefined();
    // The look after the removal puts back what the ledger holds.
    await harness.settle();
    expect(harness.ses.list.get('x@example.com')).toBe('BOUNCE');
    expect(harness.deadLetters.parked).toEqual([]);
  });

  it('surfaces an address SES refuses to put back without holding up the rest of the message, and a redrive puts it back', async () => {
    const harness = createHarness();
    await harness.drain([hardBounce('kept@example.com'), ...escalation('full@example.com')]);
    harness.ses.list.delete('kept@example.com'); // lost at SES: its restore must put it
    harness.clock.advanceSeconds(TEMPORARY_FOR_SECONDS + DAY);
    jest.spyOn(harness.ses, 'suppress').mockRejectedValueOnce(new SuppressionRejectedError('SES rejected PutSuppressedDestination (BadRequestException): refused for now'));
    const response = await harness.invokeWriter(sqsRecord(JSON.stringify({ type: 'unsuppress', addresses: ['kept@example.com', 'full@example.com'], attempt: 1 })));
    expect(response.batchItemFailures).toEqual([]);
    expect(harness.ses.list.has('full@example.com')).toBe(false);
    expect(harness.ledger.entries.has('full@example.com')).toBe(false);
    expect(harness.deadLetters.parked.map((p) => p.reason)).toEqual([
      expect.stringMatching(/^1 address\(es\) not put back on the list \(k\*+@example\.com\): SES rejected PutSuppressedDestination \(BadRequestException\): refused for now$/),
    ]);
    const [parked] = harness.deadLetters.parked;
    expect(JSON.parse(parked?.body ?? '')).toEqual({ type: 'unsuppress', addresses: ['kept@example.com'], attempt: 1 });
    await harness.invokeWriter(sqsRecord(parked?.body ?? ''));
    await harness.settle();
    expect(harness.ses.list.get('kept@example.com')).toBe('BOUNCE');
  });

  it.each([
    ['before its SES call', 'suppress'],
    ['after its SES call, just before it records', 'recordSuppressed'],
  ] as const)('never records a bounce over a complaint another writer put %s: the complaint stands at SES and in the ledger', async (_when, at) => {
    const harness = createHarness();
    const complaint = (): Promise<unknown> => harness.writer.write([{ address: 'x@example.com', reason: 'COMPLAINT' }]);
    let crossed = false;
    const cross = async (): Promise<void> => {
      if (crossed) return;
      crossed = true;
      await complaint();
    };
    if (at === 'suppress') harness.ses.before = (change) => (change === 'suppress' ? cross() : undefined);
    else harness.ledger.before = (method) => (method === 'recordSuppressed' ? cross() : undefined);
    // A writer with x's hard bounce read the ledger (nothing there) and calls SES; the complaint's writer is quicker.
    await harness.writer.write([{ address: 'x@example.com', reason: 'BOUNCE' }]);
    await harness.settle();
    expect(harness.ses.list.get('x@example.com')).toBe('COMPLAINT');
    expect(harness.ledger.entries.get('x@example.com')?.reason).toBe('COMPLAINT');
  });

  /**
   * x's complaint crosses another writer's BOUNCE: the complaint's writer runs at that writer's SES
   * call, so the BOUNCE lands at SES after the complaint. Sending a restore fails while `refuse`
   * says so (the run dies, or SQS refuses); `refused` counts the sends that failed.
   */
  function complaintCrossedByBounce(refuse: (sends: number) => boolean): { harness: ReturnType<typeof createHarness>; seen: { crossed: boolean; refused: number } } {
    const harness = createHarness();
    const seen = { crossed: false, refused: 0 };
    harness.ses.before = async (change) => {
      if (change !== 'suppress' || seen.crossed) return;
      seen.crossed = true;
      await harness.writer.write([{ address: 'x@example.com', reason: 'COMPLAINT' }]);
    };
    const send = harness.queues.unsuppress.bind(harness.queues);
    let sends = 0;
    harness.queues.unsuppress = async (addresses: readonly string[], attempt: number) => {
      if (refuse(++sends)) {
        seen.refused++;
        throw new Error('the restore could not be sent');
      }
      await send(addresses, attempt);
    };
    return { harness, seen };
  }

  it.each([
    ['a hard bounce', { reason: 'BOUNCE' }],
    ['soft bounces escalated', { reason: 'BOUNCE', temporary: true }],
  ] as const)('restores a complaint that %s put at SES after it, even when the run dies after its record: SQS delivers the message again', async (_what, request) => {
    // The run dies after its record, before the restore is on its way.
    const { harness, seen } = complaintCrossedByBounce((sends) => sends === 1);
    harness.queues.requests.push(JSON.stringify({ type: 'suppress', entries: [{ address: 'x@example.com', ...request }], attempt: 1 }));
    await harness.settle();
    expect(seen).toEqual({ crossed: true, refused: 1 });
    expect(harness.ledger.entries.get('x@example.com')).toEqual(expect.objectContaining({ reason: 'COMPLAINT' }));
    expect(harness.ses.list.get('x@example.com')).toBe('COMPLAINT');
    expect(harness.deadLetters.parked).toEqual([]);
  });

  it('restores a complaint that a hard bounce put at SES after it when the bounce\'s message was parked and is redriven', async () => {
    // The restore cannot be sent on any receive (SQS refuses): the message is parked.
    let refusing = true;
    const { harness } = complaintCrossedByBounce(() => refusing);
    harness.queues.requests.push(JSON.stringify({ type: 'suppress', entries: [{ address: 'x@example.com', reason: 'BOUNCE' }], attempt: 1 }));
    await harness.settle();
    expect(harness.ses.list.get('x@example.com')).toBe('BOUNCE');
    expect(harness.deadLetters.parked).toHaveLength(1);
    // A human redrives it once SQS is back: a first receive, as new.
    refusing = false;
    await harness.invokeWriter(sqsRecord(harness.deadLetters.parked[0]?.body ?? ''));
    await harness.settle();
    expect(harness.ledger.entries.get('x@example.com')).toEqual(expect.objectContaining({ reason: 'COMPLAINT' }));
    expect(harness.ses.list.get('x@example.com')).toBe('COMPLAINT');
  });

  it('never records a bounce over a complaint that came while its import job ran, and restores the complaint its job\'s BOUNCE overwrote at SES', async () => {
    const harness = createHarness();
    const flood = many(IMPORT_THRESHOLD).map((address) => ({ address, reason: 'BOUNCE' as const }));
    let crossed = false;
    // The job applies its rows just after this: its BOUNCE lands at SES after the complaint.
    harness.ses.before = async (change) => {
      if (change !== 'suppress' || crossed) return;
      crossed = true;
      await harness.writer.write([{ address: 'full0@example.com', reason: 'COMPLAINT' }]);
    };
    await harness.writer.write(flood);
    expect(harness.imports.jobs.size).toBe(1);
    await harness.settle();
    expect(crossed).toBe(true);
    expect(harness.ledger.entries.get('full0@example.com')?.reason).toBe('COMPLAINT');
    expect(harness.ses.list.get('full0@example.com')).toBe('COMPLAINT');
    expect(harness.ledger.entries.get('full1@example.com')?.reason).toBe('BOUNCE');
    expect(harness.deadLetters.parked).toEqual([]);
  });

  it('follows a DELETE job even when its writer died right after SES created it: a notice for a human, whose redrive with the id puts back what the late job removed', async () => {
    const addresses = many(IMPORT_THRESHOLD);
    const harness = await due(addresses);
    harness.imports.dieAfterCreating = 1;
    await tick(harness);
    // The message came back and a second job did the removal; the first job's follow-up never found its id.
    const deletes = [...harness.imports.jobs.entries()].filter(([, j]) => j.action === 'DELETE').map(([id]) => id);
    expect(deletes).toHaveLength(2);
    for (const address of addresses) expect([address, harness.ses.list.has(address), harness.ledger.entries.has(address)]).toEqual([address, false, false]);
    expect(harness.deadLetters.parked.map((p) => p.reason)).toEqual([
      expect.stringMatching(/^import job for imports\/pipeline\/\S+ \(DELETE, 25 rows\): no job id recorded beside its rows after 5 looks .*ListImportJobs.*redrive it; its rows were retried$/),
    ]);
    // Meanwhile full0 hard bounces and is suppressed again; then SES runs the first job after all.
    await harness.writer.write([{ address: 'full0@example.com', reason: 'BOUNCE' }]);
    expect(harness.ses.list.get('full0@example.com')).toBe('BOUNCE');
    const [notice] = harness.deadLetters.parked;
    const body = JSON.parse(notice?.body ?? '') as { job: { jobId: string } };
    body.job.jobId = deletes[0] ?? '';
    await harness.invokeWriter(sqsRecord(JSON.stringify(body)));
    await harness.settle();
    // Followed to its end: what it took off that the ledger holds is put back.
    expect(harness.ses.list.get('full0@example.com')).toBe('BOUNCE');
    expect(harness.ses.list.size).toBe(1);
  });

  it('creates no job when SQS refuses its follow-up: the message comes back, and the one job it then creates is followed', async () => {
    const addresses = many(IMPORT_THRESHOLD);
    const harness = await due(addresses);
    jest.spyOn(harness.queues, 'followImport').mockRejectedValueOnce(Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailable' }));
    await tick(harness);
    expect([...harness.imports.jobs.values()].filter((j) => j.action === 'DELETE')).toHaveLength(1);
    expect(harness.ses.list.size).toBe(0);
    expect(harness.ledger.entries.size).toBe(0);
    expect(harness.deadLetters.parked).toEqual([]);
  });
});
