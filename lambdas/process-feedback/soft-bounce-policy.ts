/**
 * When soft bounces for one address escalate to a suppression, and when a delivery withdraws it.
 *
 * `threshold` consecutive soft bounces (no delivery after them), all within `windowInDays` of the
 * newest of them, suppress the address with reason BOUNCE. A threshold of 0 turns escalation off.
 *
 * Everything here is a function of the set of events seen, never of their arrival order: SNS and
 * standard SQS keep no order, and a retry or a redrive brings an event back late. The address is
 * escalated when some soft bounce after the last delivery has `threshold` soft bounces in the window
 * that ends at it, exactly as applying the events in time order would leave it.
 */
export interface SoftBouncePolicy {
  readonly threshold: number;
  readonly windowInDays: number;
}

/** The soft-bounce history kept per address: event key → when the soft bounce happened. */
export interface SoftBounceHistory {
  readonly softBounces: Readonly<Record<string, string>>;
  readonly lastDeliveryAt?: string;
  /**
   * The delivery that last withdrew an escalation: applied again (a retry after a crash before the
   * hand-over), it asks for the withdrawal again.
   */
  readonly withdrawnBy?: string;
}

export interface SoftBounceOutcome {
  readonly history: SoftBounceHistory;
  /** Soft bounces that count now: after the last delivery and inside the window of the newest. */
  readonly consecutive: number;
  /** This soft bounce is one of `threshold` in a row within the window: the address is to be suppressed for a while. */
  readonly escalate: boolean;
}

export interface DeliveryOutcome {
  readonly history: SoftBounceHistory;
  /**
   * The delivery cancels soft bounces that an escalation counted, and none is left standing: the
   * temporary suppression is to be withdrawn (never a hard bounce's, never a complaint's).
   */
  readonly withdraw: boolean;
}

const DAY_MS = 86_400_000;

/**
 * Soft bounces kept per address after its last delivery. An address SES keeps bouncing while it is
 * suppressed gets no mail, so this is reached only by a stream that ignores the list; beyond it the
 * oldest are forgotten.
 */
export const MAX_KEPT_SOFT_BOUNCES = 100;

/** Checks a policy; throws a plain error showing the bad value. */
export function validatePolicy(policy: SoftBouncePolicy): SoftBouncePolicy {
  if (!Number.isInteger(policy.threshold) || policy.threshold < 0) {
    throw new Error(`soft-bounce threshold must be a whole number >= 0, got ${policy.threshold}`);
  }
  if (!(policy.windowInDays > 0)) {
    throw new Error(`soft-bounce window must be more than 0 days, got ${policy.windowInDays}`);
  }
  return policy;
}

/**
 * The soft bounces that may still count: after the last delivery, the newest
 * {@link MAX_KEPT_SOFT_BOUNCES}.
 */
function keptAfterDelivery(softBounces: Readonly<Record<string, string>>, lastDeliveryAt: string | undefined): Record<string, string> {
  const lastDelivery = lastDeliveryAt ? Date.parse(lastDeliveryAt) : -Infinity;
  const after = Object.entries(softBounces).filter(([, when]) => Date.parse(when) > lastDelivery);
  after.sort(([ka, a], [kb, b]) => Date.parse(b) - Date.parse(a) || (ka < kb ? -1 : ka > kb ? 1 : 0));
  return Object.fromEntries(after.slice(0, MAX_KEPT_SOFT_BOUNCES));
}

/**
 * The moments at which the history escalates: each soft bounce that ends a window holding
 * `threshold` of them (all after the last delivery, as the history keeps only those).
 * @returns for each such moment, the earliest soft bounce it counts (both in ms)
 */
function escalations(history: SoftBounceHistory, policy: SoftBouncePolicy): Array<{ at: number; from: number }> {
  if (policy.threshold === 0) return [];
  const times = Object.values(history.softBounces).map(Date.parse).sort((a, b) => a - b);
  const window = policy.windowInDays * DAY_MS;
  const found: Array<{ at: number; from: number }> = [];
  let first = 0;
  for (let i = 0; i < times.length; i++) {
    const at = times[i] as number;
    while ((times[first] as number) < at - window) first++;
    if (i - first + 1 >= policy.threshold) found.push({ at, from: times[first] as number });
  }
  return found;
}

/** Whether the history stands escalated: a temporary suppression is wanted for the address. */
export function isEscalated(history: SoftBounceHistory, policy: SoftBouncePolicy): boolean {
  return escalations(history, policy).length > 0;
}

/**
 * Adds one soft bounce to an address's history. Idempotent per event key; a soft bounce from before
 * the last delivery (it arrived late) counts for nothing.
 */
export function addSoftBounce(history: SoftBounceHistory, eventKey: string, at: string, policy: SoftBouncePolicy): SoftBounceOutcome {
  const kept = keptAfterDelivery({ ...history.softBounces, [eventKey]: at }, history.lastDeliveryAt);
  const next: SoftBounceHistory = { ...history, softBounces: kept };
  const times = Object.values(kept).map(Date.parse);
  const newest = Math.max(...times);
  const consecutive = times.filter((t) => t >= newest - policy.windowInDays * DAY_MS).length;
  const t = Date.parse(at);
  // This bounce escalates when a window that counts it holds enough (it arrived late, or in order).
  const escalate = eventKey in kept && escalations(next, policy).some((e) => e.from <= t && t <= e.at);
  return { history: next, consecutive, escalate };
}

/** Records a delivery: soft bounces before it no longer count. Idempotent, order-independent. */
export function addDelivery(history: SoftBounceHistory, at: string, policy: SoftBouncePolicy): DeliveryOutcome {
  const last = history.lastDeliveryAt !== undefined && Date.parse(history.lastDeliveryAt) > Date.parse(at) ? history.lastDeliveryAt : at;
  const cancelled = isEscalated(history, policy) && !isEscalated({ softBounces: keptAfterDelivery(history.softBounces, last) }, policy);
  const withdrawnBy = cancelled ? at : history.withdrawnBy;
  const next: SoftBounceHistory = { softBounces: keptAfterDelivery(history.softBounces, last), lastDeliveryAt: last, ...(withdrawnBy !== undefined ? { withdrawnBy } : {}) };
  // The same delivery again asks again: the run that withdrew may have died before it handed over.
  return { history: next, withdraw: cancelled || (history.withdrawnBy === at && !isEscalated(next, policy)) };
}
