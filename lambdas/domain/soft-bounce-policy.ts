/**
 * When soft bounces for one address escalate to a suppression.
 *
 * `threshold` consecutive soft bounces (no delivery after them), all within `windowInDays` of the
 * newest one, suppress the address with reason BOUNCE. A threshold of 0 turns escalation off.
 */
export interface SoftBouncePolicy {
  readonly threshold: number;
  readonly windowInDays: number;
}

/** The soft-bounce history kept per address: event key → when the soft bounce happened. */
export interface SoftBounceHistory {
  readonly softBounces: Readonly<Record<string, string>>;
  readonly lastDeliveryAt?: string;
}

export interface SoftBounceOutcome {
  readonly history: SoftBounceHistory;
  /** Soft bounces that count now: after the last delivery and inside the window. */
  readonly consecutive: number;
  readonly escalate: boolean;
}

const DAY_MS = 86_400_000;

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
 * Adds one soft bounce to an address's history.
 *
 * Idempotent per event key, and independent of arrival order: a delivery that happened after a
 * soft bounce cancels it even when the delivery event arrives first.
 */
export function addSoftBounce(
  history: SoftBounceHistory,
  eventKey: string,
  at: string,
  policy: SoftBouncePolicy,
): SoftBounceOutcome {
  const all = { ...history.softBounces, [eventKey]: at };
  const newest = Math.max(...Object.values(all).map(Date.parse));
  const windowStart = newest - policy.windowInDays * DAY_MS;
  const lastDelivery = history.lastDeliveryAt ? Date.parse(history.lastDeliveryAt) : -Infinity;
  const kept = Object.fromEntries(
    Object.entries(all).filter(([, when]) => {
      const t = Date.parse(when);
      return t > lastDelivery && t >= windowStart;
    }),
  );
  const consecutive = Object.keys(kept).length;
  return {
    history: { softBounces: kept, lastDeliveryAt: history.lastDeliveryAt },
    consecutive,
    escalate: policy.threshold > 0 && consecutive >= policy.threshold,
  };
}

/** Records a delivery: soft bounces before it no longer count. Idempotent, order-independent. */
export function addDelivery(history: SoftBounceHistory, at: string): SoftBounceHistory {
  const last = history.lastDeliveryAt && history.lastDeliveryAt > at ? history.lastDeliveryAt : at;
  const softBounces = Object.fromEntries(Object.entries(history.softBounces).filter(([, when]) => when > last));
  return { softBounces, lastDeliveryAt: last };
}
