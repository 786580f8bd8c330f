import {
  addDelivery,
  addSoftBounce,
  claimAllowed,
  type ClaimResult,
  type FeedbackRecord,
  type FeedbackStore,
  type SoftBounceHistory,
  type SoftBounceOutcome,
  type SoftBouncePolicy,
  type SuppressionList,
  type SuppressionReason,
  type SuppressionState,
} from '../../lambdas/domain/index.js';
import type { DeadLetters } from '../../lambdas/adapters/sqs-dead-letters.js';

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
  public readonly suppression = new Map<string, SuppressionState>();
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

  public async claimSuppression(address: string, reason: SuppressionReason, now: Date, leaseUntil: Date): Promise<ClaimResult> {
    this.trip('claimSuppression');
    const current = this.suppression.get(address);
    const result = claimAllowed(current, reason, now);
    if (result === 'claimed') this.suppression.set(address, { ...current, leaseUntil: leaseUntil.toISOString() });
    return result;
  }

  public async completeSuppression(address: string, reason: SuppressionReason): Promise<void> {
    this.trip('completeSuppression');
    this.suppression.set(address, { suppressedReason: reason });
  }

  public async releaseSuppression(address: string): Promise<void> {
    this.trip('releaseSuppression');
    const current = this.suppression.get(address);
    if (current) this.suppression.set(address, { suppressedReason: current.suppressedReason });
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

  public callsFor(address: string): number {
    return this.calls.filter((c) => c.address === address).length;
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
