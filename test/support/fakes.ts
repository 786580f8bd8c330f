import { IMPORT_FILES } from '../../lambdas/contract.js';
import {
  addDelivery,
  addSoftBounce,
  importLines,
  type AcceptedSuppression,
  type DeadLetters,
  type DueExpiry,
  type FeedbackRecord,
  type FeedbackStore,
  type ImportAction,
  type ImportJobRef,
  type ImportJobStatus,
  type ImportRow,
  type LedgerEntry,
  type SoftBounceHistory,
  type SoftBounceOutcome,
  type SoftBouncePolicy,
  type SuppressionAnnouncements,
  type SuppressionEntry,
  type SuppressionImports,
  type SuppressionLedger,
  type SuppressionList,
  type SuppressionMessage,
  type SuppressionProvenance,
  type SuppressionQueue,
  type SuppressionReason,
  type SuppressionRequests,
} from '../../lambdas/domain/index.js';

type StoreMethod = keyof FeedbackStore;

/** Thrown by a fake to stand for the process dying mid-step (Lambda timeout, OOM, SIGKILL). */
export class SimulatedCrash extends Error {
  public constructor(step: string) {
    super(`simulated crash in ${step}`);
    this.name = 'SimulatedCrash';
  }
}

/** In-memory {@link FeedbackStore} with the same conditional semantics as the DynamoDB adapter. */
export class InMemoryFeedbackStore implements FeedbackStore {
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
    return outcome;
  }

  public async addDelivery(address: string, at: string): Promise<void> {
    this.trip('addDelivery');
    this.histories.set(address, addDelivery(this.histories.get(address) ?? { softBounces: {} }, at));
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
  private failures: Error[] = [];

  /** The next calls fail with these errors, in order. */
  public failWith(...errors: Error[]): void {
    this.failures.push(...errors);
  }

  public async suppress(address: string, reason: SuppressionReason): Promise<void> {
    this.calls.push({ address, reason });
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.list.set(address, reason);
  }

  /** DeleteSuppressedDestination calls, in order. */
  public readonly removals: string[] = [];

  public async unsuppress(address: string): Promise<void> {
    this.removals.push(address);
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.list.delete(address);
  }

  public callsFor(address: string): number {
    return this.calls.filter((c) => c.address === address).length;
  }
}

/** In-memory {@link SuppressionLedger} with its expiry schedule; can crash on a call like the store. */
export class InMemorySuppressionLedger implements SuppressionLedger {
  public readonly entries = new Map<string, { reason: SuppressionReason; via: string; jobId?: string; temporaryUntil?: string }>();
  /** The schedule: `<until>#<address>` → entry. */
  public readonly schedule = new Map<string, DueExpiry & { claimedAt?: string }>();
  /** Audit records of temporary suppressions that ended. */
  public readonly expired: Array<{ address: string; until: string; at: string; via: string }> = [];
  public reads = 0;
  private crashes = 0;
  /** Called inside recordUnsuppressed after its reads, before its writes: lets a test race it. */
  public duringRemoval?: () => void;

  public crashOnRecord(times = 1): void {
    this.crashes = times;
  }

  public async suppressions(addresses: readonly string[]): Promise<Map<string, LedgerEntry>> {
    this.reads++;
    const found = new Map<string, LedgerEntry>();
    for (const address of addresses) {
      const entry = this.entries.get(address);
      if (entry) found.set(address, entry.temporaryUntil ? { reason: entry.reason, temporaryUntil: entry.temporaryUntil } : { reason: entry.reason });
    }
    return found;
  }

  public async recordSuppressed(entries: readonly AcceptedSuppression[], provenance: SuppressionProvenance): Promise<void> {
    if (this.crashes > 0) {
      this.crashes--;
      throw new SimulatedCrash('recordSuppressed');
    }
    for (const e of entries) {
      this.entries.set(e.address, { reason: e.reason, via: provenance.via, jobId: provenance.jobId, temporaryUntil: e.until });
      if (e.until) this.schedule.set(`${e.until}#${e.address}`, { address: e.address, until: e.until });
    }
  }

  public async makePermanent(addresses: readonly string[]): Promise<void> {
    for (const address of addresses) {
      const entry = this.entries.get(address);
      if (entry) this.entries.set(address, { ...entry, temporaryUntil: undefined });
    }
  }

  public async claimDueExpiries(now: Date, limit: number, leaseSeconds: number): Promise<DueExpiry[]> {
    const leaseStart = new Date(now.getTime() - leaseSeconds * 1000).toISOString();
    const claimed: DueExpiry[] = [];
    for (const [key, item] of [...this.schedule].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (claimed.length >= limit || item.until >= now.toISOString()) continue;
      if (item.claimedAt !== undefined && item.claimedAt >= leaseStart) continue;
      this.schedule.set(key, { ...item, claimedAt: now.toISOString() });
      claimed.push({ address: item.address, until: item.until });
    }
    return claimed;
  }

  public async dropExpiries(expiries: readonly DueExpiry[]): Promise<void> {
    for (const e of expiries) this.schedule.delete(`${e.until}#${e.address}`);
  }

  public async recordUnsuppressed(addresses: readonly string[], provenance: SuppressionProvenance, at: Date): Promise<Map<string, SuppressionReason>> {
    const kept = new Map<string, SuppressionReason>();
    const ended = addresses.flatMap((address) => {
      const entry = this.entries.get(address);
      if (!entry) return [];
      if (entry.temporaryUntil === undefined) {
        kept.set(address, entry.reason);
        return [];
      }
      return [{ address, until: entry.temporaryUntil }];
    });
    this.duringRemoval?.();
    for (const { address, until } of ended) {
      this.expired.push({ address, until, at: at.toISOString(), via: provenance.via });
      const now = this.entries.get(address);
      if (now?.temporaryUntil === until) this.entries.delete(address);
      else if (now) kept.set(address, now.reason);
      this.schedule.delete(`${until}#${address}`);
    }
    return kept;
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
  public readonly jobs = new Map<string, { objectKey: string; polls: number; action: ImportAction }>();
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

  public constructor(private readonly ses: FakeSuppressionList) {}

  /** The next `times` jobs fail as a whole. */
  public failJobs(times = 1): void {
    this.failNextJobs = times;
  }

  public async start(rows: readonly SuppressionEntry[], action: ImportAction = 'PUT'): Promise<ImportJobRef> {
    if (action === 'DELETE' && rows.length > 10_000) throw new Error(`SES takes at most 10,000 rows per DELETE import, got ${rows.length}`);
    const objectKey = `${IMPORT_FILES.pipelinePrefix}file-${this.files.size + 1}.jsonl`;
    const lines = importLines(rows, action);
    this.files.set(objectKey, rows.map((entry, i) => ({ line: lines[i] ?? '', entry })));
    const jobId = `job-${this.jobs.size + 1}`;
    this.jobs.set(jobId, { objectKey, polls: 0, action });
    this.ses.importCalls++;
    return { jobId, objectKey, rows: rows.length, ...(action === 'DELETE' ? { action } : {}), ...(rows.some((r) => r.temporary) && action === 'PUT' ? { temporary: true as const } : {}) };
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
    const failed = rows.filter((r) => this.refuse.has(r.entry.address));
    for (const r of rows) {
      if (this.refuse.has(r.entry.address)) continue;
      if (job.action === 'PUT') this.ses.list.set(r.entry.address, r.entry.reason);
      else this.ses.list.delete(r.entry.address);
    }
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

/** The writer's two queues in memory: what is sent is read back by the harness. */
export class InMemorySuppressionQueues implements SuppressionQueue, SuppressionRequests {
  public readonly requests: string[] = [];
  public readonly importJobs: Array<{ body: string; delaySeconds: number }> = [];
  private failures = 0;

  /** The next `times` hand-overs from the processor fail. */
  public failRequests(times = 1): void {
    this.failures = times;
  }

  public async request(entries: readonly SuppressionEntry[]): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailable' });
    }
    this.requests.push(JSON.stringify({ type: 'suppress', entries, attempt: 1 } satisfies SuppressionMessage));
  }

  public async retry(entries: readonly SuppressionEntry[], attempt: number): Promise<void> {
    this.requests.push(JSON.stringify({ type: 'suppress', entries, attempt } satisfies SuppressionMessage));
  }

  public async unsuppress(addresses: readonly string[], attempt: number): Promise<void> {
    if (addresses.length > 0) this.requests.push(JSON.stringify({ type: 'unsuppress', addresses, attempt } satisfies SuppressionMessage));
  }

  public async followImport(job: ImportJobRef, attempt: number, polls: number, delaySeconds: number): Promise<void> {
    this.importJobs.push({ body: JSON.stringify({ type: 'follow-import', job, attempt, polls } satisfies SuppressionMessage), delaySeconds });
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
