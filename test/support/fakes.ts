import { IMPORT_FILES } from '../../lambdas/shared/contract.js';
import { addDelivery, addSoftBounce, isEscalated, type SoftBounceHistory, type SoftBounceOutcome, type SoftBouncePolicy } from '../../lambdas/process-feedback/soft-bounce-policy.js';
import { importLines, type ImportRow } from '../../lambdas/write-suppressions/import-files.js';
import { SuppressionRejectedError } from '../../lambdas/shared/errors.js';
import { type AcceptedSuppression, type DueExpiry, type ImportJobStatus, type LedgerEntry, type RecordedJob, type SuppressionAnnouncements, type SuppressionImports, type SuppressionLedger, type SuppressionList, type SuppressionProvenance, type SoftBounceEscalations, type OperatorRequests, type WriterLease } from '../../lambdas/write-suppressions/ports.js';
import { type DeadLetters, type SuppressionQueue, type SuppressionRequests } from '../../lambdas/shared/ports.js';
import { type FeedbackRecord } from '../../lambdas/process-feedback/feedback-record.js';
import { type FeedbackStore } from '../../lambdas/process-feedback/ports.js';
import { type ImportJobRef, type SuppressionEntry, type SuppressionMessage, type SuppressionReason } from '../../lambdas/shared/suppression.js';

type StoreMethod = keyof FeedbackStore;

/** Thrown by a fake to stand for the process dying mid-step (Lambda timeout, OOM, SIGKILL). */
export class SimulatedCrash extends Error {
  public constructor(step: string) {
    super(`simulated crash in ${step}`);
    this.name = 'SimulatedCrash';
  }
}

/** In-memory {@link FeedbackStore} with the same conditional semantics as the DynamoDB adapter. */
export class InMemoryFeedbackStore implements FeedbackStore, SoftBounceEscalations {
  public readonly events = new Map<string, FeedbackRecord>();
  public readonly histories = new Map<string, SoftBounceHistory>();
  private readonly crashes = new Map<StoreMethod, number>();
  private readonly transient = new Map<StoreMethod, number>();

  /** The next `times` calls of `method` crash the process (no clean-up runs). */
  public crashOn(method: StoreMethod, times = 1): void {
    this.crashes.set(method, times);
  }

  /** The next `times` calls of `method` fail as a service error would. */
  public failOn(method: StoreMethod, times = 1): void {
    this.transient.set(method, times);
  }

  public async putEvent(record: FeedbackRecord): Promise<'new' | 'duplicate'> {
    this.trip('putEvent');
    const key = `${record.address}|${record.eventKey}`;
    if (this.events.has(key)) return 'duplicate';
    this.events.set(key, record);
    return 'new';
  }

  public async addSoftBounce(address: string, eventKey: string, at: string, policy: SoftBouncePolicy): Promise<SoftBounceOutcome> {
    this.trip('addSoftBounce');
    const outcome = addSoftBounce(this.histories.get(address) ?? { softBounces: {} }, eventKey, at, policy);
    this.histories.set(address, outcome.history);
    this.escalatedNow.set(address, isEscalated(outcome.history, policy));
    return outcome;
  }

  public async addDelivery(address: string, at: string, policy: SoftBouncePolicy): Promise<{ withdraw: boolean }> {
    this.trip('addDelivery');
    const outcome = addDelivery(this.histories.get(address) ?? { softBounces: {} }, at, policy);
    this.histories.set(address, outcome.history);
    this.escalatedNow.set(address, isEscalated(outcome.history, policy));
    return { withdraw: outcome.withdraw };
  }

  /** Whether each address's history stands escalated, as the DynamoDB adapter keeps it beside the history. */
  private readonly escalatedNow = new Map<string, boolean>();

  public async escalated(addresses: readonly string[]): Promise<ReadonlySet<string>> {
    return new Set(addresses.filter((a) => this.escalatedNow.get(a) !== false));
  }

  private trip(method: StoreMethod): void {
    const crashes = this.crashes.get(method) ?? 0;
    if (crashes > 0) {
      this.crashes.set(method, crashes - 1);
      throw new SimulatedCrash(method);
    }
    const failures = this.transient.get(method) ?? 0;
    if (failures > 0) {
      this.transient.set(method, failures - 1);
      throw Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailable' });
    }
  }
}

/** A fake SES account-level suppression list that records every call and can throttle or fail. */
export class FakeSuppressionList implements SuppressionList {
  public readonly calls: Array<{ address: string; reason: SuppressionReason }> = [];
  public readonly list = new Map<string, SuppressionReason>();
  /** CreateImportJob calls (counted by {@link FakeSuppressionImports}). */
  public importCalls = 0;
  /** Runs at the start of each change to the list (single calls, and an import job's rows as it completes): a test interleaves another writer here. */
  public before?: (change: 'suppress' | 'unsuppress') => Promise<void> | void;
  private failures: Error[] = [];

  /** The next calls fail with these errors, in order. */
  public failWith(...errors: Error[]): void {
    this.failures.push(...errors);
  }

  public async suppress(address: string, reason: SuppressionReason): Promise<void> {
    await this.before?.('suppress');
    this.calls.push({ address, reason });
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.list.set(address, reason);
  }

  /** DeleteSuppressedDestination calls, in order. */
  public readonly removals: string[] = [];

  public async unsuppress(address: string): Promise<'removed' | 'not-listed'> {
    await this.before?.('unsuppress');
    this.removals.push(address);
    const failure = this.failures.shift();
    if (failure) throw failure;
    return this.list.delete(address) ? 'removed' : 'not-listed';
  }

  public callsFor(address: string): number {
    return this.calls.filter((c) => c.address === address).length;
  }
}

type LedgerItem = { reason: SuppressionReason; via: string; jobId?: string; temporaryUntil?: string; removing?: string; suppressedAt?: string };

/**
 * In-memory {@link SuppressionLedger} with its expiry schedule, condition for condition as the
 * DynamoDB adapter; can crash on a call like the store, and lets a test run something (a crash,
 * SES's import job ending) at the start of any of its methods.
 */
export class InMemorySuppressionLedger implements SuppressionLedger {
  public readonly entries = new Map<string, LedgerItem>();
  /** The schedule: `<until>#<address>` → entry. */
  public readonly schedule = new Map<string, DueExpiry>();
  /** Audit records of temporary suppressions that ended, by their key (a retry writes the same one). */
  public readonly expiredRecords = new Map<string, { address: string; until: string; at: string; via: string }>();
  public reads = 0;
  private crashes = 0;
  /** Runs at the start of each method, with its name: a test interleaves something here, or throws. */
  public before?: (method: keyof SuppressionLedger) => Promise<void> | void;

  public get expired(): Array<{ address: string; until: string; at: string; via: string }> {
    return [...this.expiredRecords.values()];
  }

  public crashOnRecord(times = 1): void {
    this.crashes = times;
  }

  public async suppressions(addresses: readonly string[]): Promise<Map<string, LedgerEntry>> {
    await this.before?.('suppressions');
    this.reads++;
    const found = new Map<string, LedgerEntry>();
    for (const address of addresses) {
      const e = this.entries.get(address);
      if (e) found.set(address, { reason: e.reason, ...(e.temporaryUntil !== undefined ? { temporaryUntil: e.temporaryUntil } : {}), ...(e.removing !== undefined ? { removing: true as const } : {}) });
    }
    return found;
  }

  public async recordSuppressed(entries: readonly AcceptedSuppression[], provenance: SuppressionProvenance, at: Date): Promise<string[]> {
    await this.before?.('recordSuppressed');
    if (this.crashes > 0) {
      this.crashes--;
      throw new SimulatedCrash('recordSuppressed');
    }
    const complained: string[] = [];
    for (const e of entries) {
      const item = { reason: e.reason, via: provenance.via, jobId: provenance.jobId, suppressedAt: at.toISOString() };
      const held = this.entries.get(e.address);
      if (e.until === undefined) {
        // As the DynamoDB ledger's conditional write: a BOUNCE never replaces a COMPLAINT.
        if (e.reason === 'BOUNCE' && held?.reason === 'COMPLAINT') complained.push(e.address);
        else this.entries.set(e.address, item);
        continue;
      }
      this.schedule.set(`${e.until}#${e.address}`, { address: e.address, until: e.until });
      if (held === undefined || held.removing !== undefined) this.entries.set(e.address, { ...item, temporaryUntil: e.until });
      else if (held.reason === 'COMPLAINT') complained.push(e.address);
    }
    return complained;
  }

  public async makePermanent(address: string): Promise<void> {
    await this.before?.('makePermanent');
    const e = this.entries.get(address);
    if (e === undefined) throw new Error(`no ledger entry to make permanent`);
    this.entries.set(address, { ...e, temporaryUntil: undefined, removing: undefined });
  }

  public async dueExpiries(now: Date, limit: number): Promise<DueExpiry[]> {
    await this.before?.('dueExpiries');
    return [...this.schedule]
      .filter(([key]) => key < now.toISOString())
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .slice(0, limit)
      .map(([, item]) => item);
  }

  public async dropExpiries(expiries: readonly DueExpiry[]): Promise<void> {
    await this.before?.('dropExpiries');
    for (const e of expiries) this.schedule.delete(`${e.until}#${e.address}`);
  }

  public async startRemoval({ address, until }: DueExpiry): Promise<void> {
    await this.before?.('startRemoval');
    const e = this.entries.get(address);
    if (e?.temporaryUntil !== until) throw new Error('ConditionalCheckFailed: the entry is not the temporary suppression named');
    this.entries.set(address, { ...e, removing: until });
  }

  public async finishRemoval(expiries: readonly DueExpiry[], provenance: SuppressionProvenance, at: Date): Promise<void> {
    await this.before?.('finishRemoval');
    for (const { address, until } of expiries) {
      const e = this.entries.get(address);
      if (e?.removing !== until) continue;
      this.expiredRecords.set(`${address}#${until}#${e.suppressedAt ?? ''}`, { address, until, at: at.toISOString(), via: provenance.via });
      this.entries.delete(address);
      this.schedule.delete(`${until}#${address}`);
    }
  }

  public async forget(address: string): Promise<void> {
    this.entries.delete(address);
  }
}

/** The writer's lease in memory, with the DynamoDB adapter's conditions; a test can hold it for another run. */
export class InMemoryWriterLease implements WriterLease {
  public holder: string | undefined;
  public heldUntil = 0;
  public acquired = 0;
  public waited = 0;

  public constructor(
    private readonly clock: () => Date,
    private readonly leaseSeconds = 240,
  ) {}

  public async acquire(holder: string): Promise<boolean> {
    const now = this.clock().getTime();
    if (this.holder !== undefined && this.holder !== holder && this.heldUntil >= now) {
      this.waited++;
      return false;
    }
    this.holder = holder;
    this.heldUntil = now + this.leaseSeconds * 1000;
    this.acquired++;
    return true;
  }

  public async release(holder: string): Promise<void> {
    if (this.holder === holder) this.holder = undefined;
  }
}

/** Operator requests in memory: removals' outcomes by request, refused rows by address. */
export class FakeOperatorRequests implements OperatorRequests {
  public readonly outcomes = new Map<string, 'removed' | 'not-listed' | 'refused'>();
  public readonly refusedRows = new Map<string, string>();

  public constructor(private readonly ledger: InMemorySuppressionLedger) {}

  public async settleRemoval(address: string, outcome: 'removed' | 'not-listed' | 'refused', request: string): Promise<void> {
    if (outcome !== 'refused') await this.ledger.forget(address);
    this.outcomes.set(request, outcome);
  }

  public async refused(rejections: ReadonlyArray<{ readonly entry: SuppressionEntry; readonly why: string }>, request: string): Promise<void> {
    for (const { entry, why } of rejections) this.refusedRows.set(entry.address, `${request}: ${why}`);
  }
}

/** Keeps every announcement ("Address Suppressed", "Address Unsuppressed" events); can fail like EventBridge out of retries. */
export class RecordedAnnouncements implements SuppressionAnnouncements {
  public readonly announced: Array<{ address: string; reason: SuppressionReason; via: string; until?: string }> = [];
  public readonly removed: Array<{ address: string; via: string }> = [];
  private failures = 0;

  public failNext(times = 1): void {
    this.failures = times;
  }

  public async announce(entries: readonly AcceptedSuppression[], provenance: SuppressionProvenance): Promise<void> {
    this.maybeFail();
    for (const e of entries) this.announced.push({ address: e.address, reason: e.reason, via: provenance.via, ...(e.until ? { until: e.until } : {}) });
  }

  public async announceRemoval(addresses: readonly string[], provenance: SuppressionProvenance): Promise<void> {
    this.maybeFail();
    for (const address of addresses) this.removed.push({ address, via: provenance.via });
  }

  private maybeFail(): void {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('EventBridge refused 1 Address Suppressed event(s) 5 times (ThrottlingException); retry later');
    }
  }
}

/** How a fake failed-records file is laid out: SES documents none, so tests vary it. */
export type FailedRecordsLayout = 'json-lines' | 'csv' | 'addresses-only';

/**
 * Fake SES import jobs: keeps each job's rows, applies them to a {@link FakeSuppressionList}'s
 * list when the job completes, and can keep a job running, fail it, or fail some rows, naming
 * them in a failed-records file of the chosen layout.
 */
export class FakeSuppressionImports implements SuppressionImports {
  public readonly files = new Map<string, ImportRow[]>();
  public readonly jobs = new Map<string, { objectKey: string; polls: number }>();
  public statusCalls = 0;
  /** Looks at which a job still runs before it completes. */
  public runningPolls = 0;
  /** Addresses SES refuses in an import (named in the failed-records file). */
  public readonly refuse = new Set<string>();
  /**
   * `json-lines`: `{"record": <the row's raw line>, "error": ...}` per failed row; `csv`: a header
   * and `"<raw line>",INVALID_EMAIL` rows (RFC 4180); `addresses-only`: one address per line, which
   * names no submitted row (the outcome must then be unknown).
   */
  public layout: FailedRecordsLayout = 'json-lines';
  private failNextJobs = 0;
  private refuseNextJobs = 0;
  private refusal = '';

  public constructor(private readonly ses: FakeSuppressionList) {}

  /** The next `times` jobs fail as a whole. */
  public failJobs(times = 1): void {
    this.failNextJobs = times;
  }

  /** Job ids recorded beside prepared rows, by object key ('pending' until SES answers). */
  public readonly recorded = new Map<string, string>();
  /** The next `times` jobs are created at SES but their writer dies before it records their id. */
  public dieAfterCreating = 0;
  /** The next `times` CreateImportJob calls are throttled: SES answered, no job created (as the adapter records a 4xx). */
  public throttleCreates = 0;

  public async prepare(rows: readonly SuppressionEntry[]): Promise<ImportJobRef> {
    const objectKey = `${IMPORT_FILES.pipelinePrefix}file-${this.files.size + 1}.jsonl`;
    const lines = importLines(rows);
    this.files.set(objectKey, rows.map((entry, i) => ({ line: lines[i] ?? '', entry })));
    this.recorded.set(objectKey, 'pending');
    return { jobId: '', objectKey, rows: rows.length, ...(rows.some((r) => r.temporary) ? { temporary: true as const } : {}) };
  }

  /** Refuses the next `times` jobs for good, like SES for a bad request (a sandbox account, say). */
  public refuseJobs(times = 1, why = 'SES rejected CreateImportJob (BadRequestException): refused for test'): void {
    this.refuseNextJobs = times;
    this.refusal = why;
  }

  public async create(job: ImportJobRef): Promise<string> {
    if (this.throttleCreates > 0) {
      this.throttleCreates--;
      this.recorded.set(job.objectKey, 'not-created');
      throw throttled();
    }
    if (this.refuseNextJobs > 0) {
      this.refuseNextJobs--;
      this.recorded.set(job.objectKey, 'not-created');
      throw new SuppressionRejectedError(this.refusal);
    }
    const jobId = `job-${this.jobs.size + 1}`;
    this.jobs.set(jobId, { objectKey: job.objectKey, polls: 0 });
    this.ses.importCalls++;
    if (this.dieAfterCreating > 0) {
      this.dieAfterCreating--;
      throw new SimulatedCrash('imports.create');
    }
    this.recorded.set(job.objectKey, jobId);
    return jobId;
  }

  public async recordedJob(job: ImportJobRef): Promise<RecordedJob> {
    const recorded = this.recorded.get(job.objectKey);
    return recorded === 'pending' || recorded === undefined ? undefined : recorded === 'not-created' ? 'not-created' : { jobId: recorded };
  }

  public async status(jobId: string): Promise<ImportJobStatus> {
    this.statusCalls++;
    const job = this.jobs.get(jobId);
    if (!job) throw new Error(`no job ${jobId}`);
    if (job.polls++ < this.runningPolls) return { state: 'running' };
    if (this.failNextJobs > 0) {
      this.failNextJobs--;
      return { state: 'failed', errorMessage: 'Access denied to the data source' };
    }
    const rows = this.files.get(job.objectKey) ?? [];
    await this.ses.before?.('suppress');
    const failed = rows.filter((r) => this.refuse.has(r.entry.address));
    for (const r of rows) if (!this.refuse.has(r.entry.address)) this.ses.list.set(r.entry.address, r.entry.reason);
    return { state: 'completed', failedCount: failed.length, failedRecords: failedRecordsFile(failed, this.layout) };
  }

  public async rows(job: ImportJobRef): Promise<ImportRow[]> {
    return [...(this.files.get(job.objectKey) ?? [])];
  }
}

/** A failed-records file in one of the layouts a test picks. */
export function failedRecordsFile(failed: readonly ImportRow[], layout: FailedRecordsLayout): string {
  if (failed.length === 0) return '';
  switch (layout) {
    case 'json-lines':
      return failed.map((r) => JSON.stringify({ record: r.line, error: 'INVALID_EMAIL' })).join('\n') + '\n';
    case 'csv':
      return ['record,error', ...failed.map((r) => `"${r.line.replace(/"/g, '""')}",INVALID_EMAIL`)].join('\r\n') + '\r\n';
    case 'addresses-only':
      return failed.map((r) => r.entry.address).join('\n') + '\n';
  }
}

/** The writer's queue in memory: what is sent is read back by the harness, with its delay. */
export class InMemorySuppressionQueues implements SuppressionQueue, SuppressionRequests {
  public readonly requests: Array<{ body: string; delaySeconds: number }> = [];
  private failures = 0;

  /** The next `times` hand-overs from the processor fail. */
  public failRequests(times = 1): void {
    this.failures = times;
  }

  /** The bodies waiting, of one type. */
  public bodies(type?: SuppressionMessage['type']): string[] {
    return this.requests.map((r) => r.body).filter((body) => type === undefined || (JSON.parse(body) as SuppressionMessage).type === type);
  }

  public async request(entries: readonly SuppressionEntry[]): Promise<void> {
    this.trip();
    this.push({ type: 'suppress', entries, attempt: 1 });
  }

  public async retry(entries: readonly SuppressionEntry[], attempt: number, request?: string): Promise<void> {
    if (entries.length > 0) this.push({ type: 'suppress', entries, attempt, ...(request !== undefined ? { request } : {}) });
  }

  public async withdraw(addresses: readonly string[], attempt = 1): Promise<void> {
    this.trip();
    if (addresses.length > 0) this.push({ type: 'withdraw', addresses, attempt });
  }

  public async restore(addresses: readonly string[]): Promise<void> {
    if (addresses.length > 0) this.push({ type: 'restore', addresses });
  }

  public async followImport(job: ImportJobRef, attempt: number, polls: number, delaySeconds: number): Promise<void> {
    this.push({ type: 'follow-import', job, attempt, polls }, delaySeconds);
  }

  public async requeue(messages: readonly SuppressionMessage[], delaySeconds: number): Promise<void> {
    for (const m of messages) this.push(m, delaySeconds);
  }

  private push(message: SuppressionMessage, delaySeconds = 0): void {
    this.requests.push({ body: JSON.stringify(message), delaySeconds });
  }

  private trip(): void {
    if (this.failures > 0) {
      this.failures--;
      throw Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailable' });
    }
  }
}

export const throttled = (): Error =>
  Object.assign(new Error('Maximum sending rate exceeded.'), { name: 'TooManyRequestsException', $metadata: { httpStatusCode: 429 } });

/** Collects parked records like the dead-letter queue would. */
export class FakeDeadLetters implements DeadLetters {
  public readonly parked: Array<{ body: string; reason: string; sourceMessageId: string }> = [];

  public async park(body: string, reason: string, sourceMessageId: string): Promise<void> {
    this.parked.push({ body, reason, sourceMessageId });
  }
}

/** A clock the test moves by hand. */
export class ManualClock {
  public constructor(private current = new Date('2026-11-23T09:00:00.000Z')) {}

  public readonly now = (): Date => new Date(this.current);

  public advanceSeconds(seconds: number): void {
    this.current = new Date(this.current.getTime() + seconds * 1000);
  }
}
