import { parse as parseCsv } from 'csv-parse/sync';
import fc from 'fast-check';
import { exportCsv, parseSuppressionFile } from '../../cli/suppression-commands.js';
import { classifyText } from '../../cli/classify-command.js';
import { eventKeyOf } from '../../lambdas/process-feedback/feedback-record.js';
import { readAddress, redactAddresses } from '../../lambdas/shared/address.js';
import { SuppressionRejectedError } from '../../lambdas/shared/errors.js';
import { type SuppressionEntry } from '../../lambdas/shared/suppression.js';
import { captureLogs } from '../support/capture-logs.js';
import { SimulatedCrash, throttled, type FailedRecordsLayout } from '../support/fakes.js';
import { fixtureJson, snsEnvelope } from '../support/fixtures.js';
import { createHarness } from '../support/harness.js';
import { sqsRecord } from '../support/sqs.js';

/**
 * The guarantees, tried on generated input rather than on cases picked by the hands that wrote the
 * code: addresses valid, hostile and Unicode; SES messages in both formats inside every envelope;
 * SES and import-job faults. Counterexamples found along the way are pinned as example tests
 * (test/lambdas/shared/address.test.ts, test/lambdas/process-feedback/hostile-input.test.ts).
 */

const RUNS = { numRuns: 100 };

/** Addresses fast-check builds by RFC 5322 / RFC 1123 (an oracle independent of our grammar). */
const rfcAddress = fc.emailAddress().filter((a) => a.length <= 254);

/** Valid addresses whose local parts use RFC 5321's symbols, which address regexes read wrong. */
const symbolAddress = fc
  .tuple(fc.stringMatching(/^[a-z0-9!#$%&'*+/=?^_`{|}~-]{1,12}$/), fc.stringMatching(/^[a-z0-9]{1,10}\.(com|net|org|example)$/))
  .map(([local, domain]) => `${local}@${domain}`);

/** Characters that break an address in the ways real and hostile input does. */
const BREAKERS = [' ', '"', '@', ',', '<', '>', '\u200b', 'ü', '..', '[', ']', '\n', '(', ')', ';', '\\'];

/** Addresses SES would refuse, or that only look like addresses. */
const hostileAddress = fc.oneof(
  fc.tuple(rfcAddress, fc.nat(), fc.constantFrom(...BREAKERS)).map(([a, at, b]) => a.slice(0, at % (a.length + 1)) + b + a.slice(at % (a.length + 1))),
  fc.tuple(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }), rfcAddress).map(([s, a]) => `${s}@${a.slice(a.indexOf('@') + 1)}`),
  fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), rfcAddress).map(([s, a]) => `"${s}"@${a.slice(a.indexOf('@') + 1)}`),
  rfcAddress.map((a) => `${a}.`),
  rfcAddress.map((a) => `${a.slice(0, a.indexOf('@'))}@[192.0.2.${a.length % 255}]`),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
);

const anyAddress = fc.oneof({ weight: 3, arbitrary: rfcAddress }, { weight: 2, arbitrary: hostileAddress });

/** The local part as it could appear in a log line: what masking must never let through. */
function localParts(address: string): string[] {
  const at = address.lastIndexOf('@');
  if (at < 2) return [];
  const local = address.slice(0, at);
  return [...new Set([local, local.toLowerCase()])].filter((l) => l.trim().length >= 2);
}

describe('the address grammar', () => {
  it('accepts every address of fast-check\'s RFC 5322 generator, in one canonical form that reads back as itself', () => {
    fc.assert(
      fc.property(rfcAddress, (raw) => {
        const reading = readAddress(raw);
        expect(reading.problem).toBeUndefined();
        expect(readAddress(reading.address ?? '')).toEqual({ address: reading.address });
        expect(reading.address).toBe(raw.toLowerCase());
      }),
      { numRuns: 300 },
    );
  });

  it('never throws, and what it accepts is 7-bit ASCII with one @, at most 254 characters', () => {
    fc.assert(
      fc.property(anyAddress, (raw) => {
        const reading = readAddress(raw);
        if (reading.address === undefined) return;
        expect(reading.address).toMatch(/^[\x21-\x7e]+$/);
        expect(reading.address.split('@')).toHaveLength(2);
        expect(reading.address.length).toBeLessThanOrEqual(254);
      }),
      { numRuns: 500 },
    );
  });

  it('masks the local part of every address in free text, whatever its shape', () => {
    fc.assert(
      fc.property(anyAddress, fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }), (address, before, after) => {
        fc.pre(address.includes('@'));
        const text = `${before} ${address} ${after}`;
        const masked = redactAddresses(text);
        for (const local of localParts(address)) {
          if (!/\s/.test(local) && !before.includes(local) && !after.includes(local)) expect(masked).not.toContain(`${local}@`);
        }
      }),
      { numRuns: 500 },
    );
  });
});

/** One generated SES message: which format and kind, to whom, and with what hostile extras. */
interface GeneratedMessage {
  readonly format: 'event-publishing' | 'notification';
  readonly kind: 'Permanent' | 'Transient' | 'Complaint' | 'Delivery';
  readonly recipients: string[];
  readonly messageId: string;
  readonly configurationSet: string;
  readonly envelope: 'sns' | 'raw';
}

const generatedMessage = fc.record<GeneratedMessage>({
  format: fc.constantFrom('event-publishing', 'notification'),
  kind: fc.constantFrom('Permanent', 'Transient', 'Complaint', 'Delivery'),
  recipients: fc.array(anyAddress, { minLength: 1, maxLength: 6 }),
  // An address in the message ID or the configuration-set tag must not reach a log line either.
  messageId: fc.oneof(fc.uuid(), rfcAddress.map((a) => `id-${a}`)),
  configurationSet: fc.oneof(fc.constantFrom('marketing', 'transactional'), rfcAddress),
  envelope: fc.constantFrom('sns', 'raw'),
});

/** The SES message, built on AWS's documentation examples of each format. */
function sesMessage(m: GeneratedMessage, n: number): string {
  const base = fixtureJson(m.format === 'event-publishing' ? 'eventpub-bounce-permanent-general.json' : 'notif-bounce-permanent-general-with-dsn.json');
  const type = m.kind === 'Complaint' ? 'Complaint' : m.kind === 'Delivery' ? 'Delivery' : 'Bounce';
  const message: Record<string, any> = { [m.format === 'event-publishing' ? 'eventType' : 'notificationType']: type, mail: { ...base.mail } };
  message.mail.messageId = `${m.messageId}-${n}`;
  message.mail.destination = m.recipients;
  message.mail.tags = { 'ses:configuration-set': [m.configurationSet] };
  const at = new Date(Date.UTC(2026, 10, 1, 0, n)).toISOString();
  if (type === 'Bounce') {
    message.bounce = {
      bounceType: m.kind,
      bounceSubType: 'General',
      timestamp: at,
      bouncedRecipients: m.recipients.map((emailAddress) => ({ emailAddress, status: m.kind === 'Permanent' ? '5.1.1' : '4.4.7' })),
    };
  } else if (type === 'Complaint') {
    message.complaint = { complainedRecipients: m.recipients.map((emailAddress) => ({ emailAddress })), timestamp: at, complaintFeedbackType: 'abuse' };
  } else {
    message.delivery = { recipients: m.recipients, timestamp: at };
  }
  const text = JSON.stringify(message);
  return m.envelope === 'sns' ? snsEnvelope(text, `sns-${n}`) : text;
}

describe('the per-recipient rule, through both handlers', () => {
  it('decides and records each readable recipient, parks each other one in a reason that counts it, suppresses only what SES accepted, and logs no address', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(generatedMessage, { minLength: 1, maxLength: 10 }), async (messages) => {
        const { store, ses, ledger, announcements, deadLetters, drain } = createHarness();
        const bodies = messages.map(sesMessage);
        let outcome: Awaited<ReturnType<typeof drain>> | undefined;
        const lines = await captureLogs(async () => {
          outcome = await drain(bodies);
        });
        // nothing thrown out of a batch, nothing redriven without a reason
        expect(outcome?.redriven).toEqual([]);
        expect(outcome?.writerRedriven).toEqual([]);
        messages.forEach((m, n) => {
          const readable = new Set(m.recipients.map((r) => readAddress(r).address).filter((a): a is string => a !== undefined));
          const unreadable = m.recipients.filter((r) => readAddress(r).address === undefined).length;
          const body = bodies[n] ?? '';
          const at = new Date(Date.UTC(2026, 10, 1, 0, n)).toISOString();
          const eventType = m.kind === 'Complaint' ? 'Complaint' : m.kind === 'Delivery' ? 'Delivery' : 'Bounce';
          for (const address of readable) {
            const key = `${address}|${eventKeyOf({ eventAt: at, eventType, messageId: `${m.messageId}-${n}` })}`;
            expect(store.events.has(key)).toBe(true);
          }
          const parked = deadLetters.parked.filter((p) => p.body === body);
          if (unreadable === 0) expect(parked).toEqual([]);
          else expect(parked.map((p) => p.reason)).toEqual([expect.stringMatching(new RegExp(`^${unreadable} recipient\\(s\\) parked, the others applied: ${eventType} recipient \\d+ of ${m.recipients.length} `))]);
        });
        // "suppressed" is what SES accepted: the ledger and the announcements never claim more
        expect(new Set(ledger.entries.keys())).toEqual(new Set(ses.list.keys()));
        expect(new Set(announcements.announced.map((a) => a.address))).toEqual(new Set(ses.list.keys()));
        // no generated address in any log line or DLQ reason
        const said = [...lines, ...deadLetters.parked.map((p) => p.reason)].join('\n');
        for (const m of messages) {
          for (const address of [...m.recipients, m.messageId, m.configurationSet]) {
            for (const local of localParts(address)) if (address.includes('@')) expect(said).not.toContain(`${local}@`);
          }
        }
      }),
      RUNS,
    );
  });
});

describe('the suppression writer under SES faults', () => {
  const fault = fc.constantFrom('none', 'none', 'throttle', 'reject');

  it('puts on the ledger and announces exactly what SES accepted, and parks the rest: nothing lost, whatever SES does', async () => {
    await fc.assert(
      fc.asyncProperty(
        // 20-80 addresses: both single calls and import jobs (from 25) are exercised.
        fc.uniqueArray(fc.oneof(rfcAddress, symbolAddress).map((a) => a.toLowerCase()), { minLength: 20, maxLength: 80 }),
        fc.array(fault, { maxLength: 30 }),
        fc.constantFrom<FailedRecordsLayout>('json-lines', 'csv', 'addresses-only'),
        fc.nat({ max: 2 }),
        fc.func(fc.boolean()),
        async (addresses, faults, layout, failedJobs, refusedInImport) => {
          const { ses, imports, ledger, announcements, deadLetters, queues, settle } = createHarness({ maxAttempts: 2 });
          imports.layout = layout;
          imports.failJobs(failedJobs);
          for (const a of addresses) if (refusedInImport(a)) imports.refuse.add(a);
          ses.failWith(...faults.filter((f) => f !== 'none').map((f) => (f === 'throttle' ? throttled() : new SuppressionRejectedError('SES rejected PutSuppressedDestination (BadRequestException): refused'))));
          const requested: SuppressionEntry[] = addresses.map((address, i) => ({ address, reason: i % 3 === 0 ? 'COMPLAINT' : 'BOUNCE' }));
          await queues.request(requested);
          let result: Awaited<ReturnType<typeof settle>> | undefined;
          await captureLogs(async () => {
            result = await settle();
          });
          const onList = new Set(ses.list.keys());
          for (const a of ledger.entries.keys()) expect(onList.has(a)).toBe(true);
          for (const a of announcements.announced) expect(onList.has(a.address)).toBe(true);
          const parked = new Set(deadLetters.parked.flatMap((p) => (JSON.parse(p.body) as { entries: SuppressionEntry[] }).entries.map((e) => e.address)));
          const redriven = new Set((result?.redriven ?? []).flatMap((b) => (JSON.parse(b) as { entries?: SuppressionEntry[] }).entries?.map((e) => e.address) ?? []));
          for (const a of addresses) expect(onList.has(a) || parked.has(a) || redriven.has(a)).toBe(true);
          expect(redriven.size).toBe(0);
          for (const p of deadLetters.parked) expect(p.reason).not.toMatch(/^\s*$/);
        },
      ),
      RUNS,
    );
  });
});

describe('temporary suppressions (soft bounces escalated) under any interleaving', () => {
  const POOL = ['a@example.com', 'b@example.com', 'c@example.org', 'd@example.org', 'e@example.net'];
  const DAY = 86_400;
  const step = fc.oneof(
    fc.record({
      kind: fc.constant('request' as const),
      entries: fc.uniqueArray(
        fc.record({ address: fc.constantFrom(...POOL), cause: fc.constantFrom('soft-bounces', 'soft-bounces', 'hard-bounce', 'complaint') }),
        { minLength: 1, maxLength: 5, selector: (e) => e.address },
      ),
    }),
    fc.record({ kind: fc.constant('advance' as const), seconds: fc.integer({ min: 0, max: 40 * DAY }) }),
    fc.record({ kind: fc.constant('tick' as const) }),
  );

  it('never takes off the list an address that hard bounced or complained, takes off each escalated one once due, and keeps the ledger equal to SES\'s list', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 25 }), fc.nat({ max: 3 }), async (steps, throttles) => {
        // From 3 addresses, an import job: both paths are exercised.
        const harness = createHarness({ importThreshold: 3 });
        const { ses, ledger, queues, clock, settle, invokeWriter } = harness;
        ses.failWith(...Array.from({ length: throttles }, () => throttled()));
        const permanent = new Set<string>();
        const check = (): void => {
          expect(new Map([...ledger.entries].map(([a, e]) => [a, e.reason]))).toEqual(ses.list);
          for (const address of permanent) {
            expect([address, ses.list.has(address)]).toEqual([address, true]);
            expect([address, ledger.entries.get(address)?.temporaryUntil]).toEqual([address, undefined]);
          }
          for (const [address, entry] of ledger.entries) {
            if (entry.temporaryUntil !== undefined) expect(ledger.schedule.has(`${entry.temporaryUntil}#${address}`)).toBe(true);
          }
          for (const ended of ledger.expired) expect(ended.at >= ended.until).toBe(true);
        };
        const tick = async (): Promise<void> => {
          const at = clock.now().toISOString();
          // A removal SES throttled stays due for the next tick: as many ticks as throttles, at most.
          for (let i = 0; i <= throttles; i++) {
            await invokeWriter(sqsRecord(JSON.stringify({ type: 'expire' })));
            const { redriven } = await settle();
            expect(redriven).toEqual([]);
          }
          // Everything that was due when the first tick came is off the list now.
          for (const [address, entry] of ledger.entries) expect([address, entry.temporaryUntil !== undefined && entry.temporaryUntil < at]).toEqual([address, false]);
        };
        await captureLogs(async () => {
          for (const s of steps) {
            if (s.kind === 'advance') clock.advanceSeconds(s.seconds);
            else if (s.kind === 'tick') await tick();
            else {
              await queues.request(
                s.entries.map(({ address, cause }): SuppressionEntry =>
                  cause === 'soft-bounces' ? { address, reason: 'BOUNCE', temporary: true } : { address, reason: cause === 'complaint' ? 'COMPLAINT' : 'BOUNCE' },
                ),
              );
              const { redriven } = await settle();
              expect(redriven).toEqual([]);
              for (const { address, cause } of s.entries) if (cause !== 'soft-bounces') permanent.add(address);
            }
            check();
          }
          clock.advanceSeconds(31 * DAY);
          await tick();
          check();
        });
        // At the end only the addresses that hard bounced or complained are left.
        expect([...ses.list.keys()].sort()).toEqual([...permanent].sort());
        expect(harness.deadLetters.parked).toEqual([]);
      }),
      RUNS,
    );
  });
});

describe('one writer at a time, dying at any step, with SES import jobs running beside it', () => {
  const POOL = ['a@example.com', 'b@example.com'];
  const DAY = 86_400;
  /** The ledger's calls, and SES's changes to the list (`ses:`), where a run can die. */
  const METHODS = ['suppressions', 'recordSuppressed', 'makePermanent', 'dueExpiries', 'dropExpiries', 'startRemoval', 'finishRemoval', 'ses:suppress', 'ses:unsuppress'] as const;
  const step = fc.oneof(
    fc.record({
      kind: fc.constant('request' as const),
      addresses: fc.constantFrom(['a@example.com'], ['b@example.com'], POOL),
      cause: fc.constantFrom('soft-bounces', 'hard-bounce', 'complaint', 'operator-bounce', 'operator-complaint'),
    }),
    fc.record({ kind: fc.constant('advance' as const), seconds: fc.oneof(fc.integer({ min: 0, max: 2 * DAY }), fc.integer({ min: 30 * DAY, max: 40 * DAY })) }),
    fc.record({ kind: fc.constant('tick' as const) }),
    fc.record({
      kind: fc.constant('run' as const),
      // The run dies at the start of one of its calls (its messages come again); SQS cannot tell.
      crash: fc.option(fc.record({ at: fc.constantFrom(...METHODS), nth: fc.constantFrom(0, 0, 1) }), { nil: undefined }),
      // Looks at which SES's import jobs are still running from now on (past 3, a job is given up on).
      slowJobs: fc.constantFrom(0, 0, 1, 2, 5),
      // SES calls this run has time for before its budget ends (what is left goes back to the queue).
      calls: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
    }),
  );
  const entryFor = (address: string, cause: string): SuppressionEntry =>
    cause === 'soft-bounces' ? { address, reason: 'BOUNCE', temporary: true } : { address, reason: cause.endsWith('complaint') ? 'COMPLAINT' : 'BOUNCE' };

  it('never loses an address that hard bounced or complained (nor its complaint), ends every escalated one once due, and leaves no removal half done', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 14 }), async (steps) => {
        let budget: number | undefined;
        const harness = createHarness({ importThreshold: 2, maxLooks: 3, timeLeft: () => (budget === undefined || budget > 0 ? 180_000 : 1_000) });
        const { ses, ledger, queues, clock, settle, invokeWriter, deadLetters } = harness;
        const permanent = new Set<string>();
        const complained = new Set<string>();
        const runOnce = async (): Promise<void> => {
          const bodies = queues.requests.splice(0).map((r) => r.body);
          if (bodies.length === 0) return;
          const records = bodies.map((body) => sqsRecord(body));
          let failed: Set<string>;
          try {
            failed = new Set((await invokeWriter(...records)).batchItemFailures.map((f) => f.itemIdentifier));
          } catch {
            failed = new Set(records.map((r) => r.messageId));
          }
          for (const r of records) if (failed.has(r.messageId)) queues.requests.push({ body: r.body, delaySeconds: 0 });
        };
        await captureLogs(async () => {
          for (const s of steps) {
            if (s.kind === 'advance') clock.advanceSeconds(s.seconds);
            else if (s.kind === 'tick') await queues.requeue([{ type: 'expire' }], 0);
            else if (s.kind === 'request') {
              const entries = s.addresses.map((a) => entryFor(a, s.cause));
              if (s.cause.startsWith('operator')) await queues.retry(entries, 1, 'r-import');
              else await queues.request(entries);
              if (s.cause !== 'soft-bounces') for (const a of s.addresses) permanent.add(a);
              if (s.cause.endsWith('complaint')) for (const a of s.addresses) complained.add(a);
            } else {
              const calls = new Map<string, number>();
              const hook = (method: string): void => {
                const n = (calls.get(method) ?? 0) + 1;
                calls.set(method, n);
                if (method.startsWith('ses:') && budget !== undefined) budget--;
                if (s.crash && s.crash.at === method && s.crash.nth + 1 === n) throw new SimulatedCrash(method);
              };
              ledger.before = hook;
              ses.before = (change) => hook(`ses:${change}`);
              harness.imports.runningPolls = s.slowJobs;
              budget = s.calls;
              await runOnce();
              ledger.before = undefined;
              ses.before = undefined;
              budget = undefined;
            }
          }
          // Quiet now: every job ends, every message is settled.
          harness.imports.runningPolls = 0;
          expect((await settle()).redriven).toEqual([]);
          // A job SES never finished within the writer's looks parked its rows: a human's redrive puts them on.
          for (const p of deadLetters.parked.splice(0)) {
            expect(p.reason).toMatch(/^\d+ address\(es\) not suppressed \(.*\): import job \S+ still running after 3 looks$/);
            await invokeWriter(sqsRecord(p.body));
          }
          expect((await settle()).redriven).toEqual([]);
          expect(new Map([...ledger.entries].map(([a, e]) => [a, e.reason]))).toEqual(ses.list);
          for (const [address, e] of ledger.entries) expect([address, e.removing]).toEqual([address, undefined]);
          for (const address of permanent) expect([address, ses.list.has(address), ledger.entries.get(address)?.temporaryUntil]).toEqual([address, true, undefined]);
          for (const address of complained) expect([address, ses.list.get(address)]).toEqual([address, 'COMPLAINT']);
          // Long after: the tick takes every escalated suppression off, and keeps the others.
          clock.advanceSeconds(31 * DAY);
          await queues.requeue([{ type: 'expire' }], 0);
          expect((await settle()).redriven).toEqual([]);
        });
        expect([...ses.list.keys()].sort()).toEqual([...permanent].sort());
        for (const address of complained) expect([address, ses.list.get(address)]).toEqual([address, 'COMPLAINT']);
        expect(deadLetters.parked).toEqual([]);
      }),
      {
        numRuns: 2000,
        examples: [
          // a complaint by single call while a burst's import job runs: the job's BOUNCE lands after it at SES
          [[{ kind: 'request', addresses: POOL, cause: 'hard-bounce' }, { kind: 'run', crash: undefined, slowJobs: 1, calls: undefined }, { kind: 'request', addresses: ['a@example.com'], cause: 'complaint' }, { kind: 'run', crash: undefined, slowJobs: 1, calls: undefined }]],
          // a removal dies between SES and the ledger, and a hard bounce comes before the next tick
          [[{ kind: 'request', addresses: ['a@example.com'], cause: 'soft-bounces' }, { kind: 'run', crash: undefined, slowJobs: 0, calls: undefined }, { kind: 'advance', seconds: 31 * DAY }, { kind: 'tick' }, { kind: 'run', crash: { at: 'finishRemoval', nth: 0 }, slowJobs: 0, calls: undefined }, { kind: 'request', addresses: ['a@example.com'], cause: 'hard-bounce' }, { kind: 'run', crash: undefined, slowJobs: 0, calls: undefined }]],
          // an operator's bounce for an address that complained never weakens it
          [[{ kind: 'request', addresses: ['a@example.com'], cause: 'complaint' }, { kind: 'run', crash: undefined, slowJobs: 0, calls: undefined }, { kind: 'request', addresses: ['a@example.com'], cause: 'operator-bounce' }]],
          // the run's time ends before its calls: handed back, not failed
          [[{ kind: 'request', addresses: POOL, cause: 'soft-bounces' }, { kind: 'request', addresses: ['b@example.com'], cause: 'complaint' }, { kind: 'run', crash: undefined, slowJobs: 0, calls: 1 }]],
        ],
      },
    );
  });
});

describe('suppression export and import', () => {
  it('writes no cell a spreadsheet runs as a formula, and reads its own export back to the same list', () => {
    const formulaLead = fc.tuple(fc.constantFrom('=', '+', '-'), rfcAddress).map(([c, a]) => `${c}${a}`);
    fc.assert(
      fc.property(fc.uniqueArray(fc.oneof(rfcAddress, formulaLead).map((a) => a.toLowerCase()), { minLength: 1, maxLength: 20 }), fc.array(fc.constantFrom('BOUNCE', 'COMPLAINT'), { minLength: 20, maxLength: 20 }), (addresses, reasons) => {
        const rows = addresses.map((address, i) => ({ address, reason: reasons[i] ?? 'BOUNCE', lastUpdateTime: new Date(Date.UTC(2026, 10, 1)) }));
        const file = exportCsv(rows, true);
        for (const cells of parseCsv(file, { relax_column_count: true })) for (const cell of cells) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
        const { entries, problems } = parseSuppressionFile(file, undefined);
        expect(problems.filter((p) => readAddress(addresses[p.line - 2] ?? '').problem === undefined)).toEqual([]);
        const valid = rows.filter((r) => readAddress(r.address).problem === undefined).map((r) => ({ address: r.address, reason: r.reason }));
        expect(entries).toEqual(valid);
      }),
      { numRuns: 200 },
    );
  });

  it('never lets a hostile cell through as a formula', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 40 }), { minLength: 1, maxLength: 10 }), (addresses) => {
        const file = exportCsv(addresses.map((address) => ({ address, reason: 'BOUNCE' })), false);
        for (const cells of parseCsv(file, { relax_column_count: true })) for (const cell of cells) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
      }),
      { numRuns: 300 },
    );
  });
});

describe('ses-feedback classify', () => {
  it('decides the same for a message in every envelope, pretty-printed or not, and names each recipient it cannot decide', () => {
    fc.assert(
      fc.property(generatedMessage, fc.boolean(), (m, pretty) => {
        const bare = sesMessage({ ...m, envelope: 'raw' }, 0);
        const sns = JSON.parse(snsEnvelope(bare)) as Record<string, unknown>;
        const wrappers = [
          bare,
          JSON.stringify(sns),
          JSON.stringify({ Records: [{ eventSource: 'aws:sqs', body: JSON.stringify(sns), attributes: { SentTimestamp: '1763888400000' } }] }),
          JSON.stringify({ Records: [{ EventSource: 'aws:sns', Sns: sns }] }),
        ].map((text) => (pretty ? JSON.stringify(JSON.parse(text), null, 2) : text));
        const expected = classifyText(bare);
        const unreadable = m.recipients.filter((r) => readAddress(r).address === undefined).length;
        expect(expected.errors).toHaveLength(unreadable);
        for (const text of wrappers) {
          const result = classifyText(text);
          expect(result.decisions).toEqual(expected.decisions);
          expect(result.errors).toEqual(expected.errors);
        }
      }),
      { numRuns: 200 },
    );
  });
});
