import { addDelivery, addSoftBounce, isEscalated, validatePolicy, type SoftBounceHistory } from '../../../lambdas/process-feedback/soft-bounce-policy.js';

const POLICY = { threshold: 5, windowInDays: 30 };
const EMPTY: SoftBounceHistory = { softBounces: {} };
const day = (n: number): string => new Date(Date.UTC(2026, 10, 1) + n * 86_400_000).toISOString();

/** Adds soft bounces on the given days, in order, and returns the last outcome. */
function bounceOn(days: number[], start: SoftBounceHistory = EMPTY, policy = POLICY) {
  let history = start;
  let outcome = addSoftBounce(history, 'none', day(0), policy);
  for (const d of days) {
    outcome = addSoftBounce(history, `event-${d}`, day(d), policy);
    history = outcome.history;
  }
  return outcome;
}

describe('soft-bounce policy', () => {
  it('does not escalate at 4 consecutive soft bounces', () => {
    expect(bounceOn([1, 2, 3, 4])).toMatchObject({ consecutive: 4, escalate: false });
  });

  it('escalates at the 5th consecutive soft bounce within 30 days', () => {
    expect(bounceOn([1, 2, 3, 4, 5])).toMatchObject({ consecutive: 5, escalate: true });
  });

  it('counts a redelivered event once (idempotent per event key)', () => {
    const four = bounceOn([1, 2, 3, 4]);
    const again = addSoftBounce(four.history, 'event-4', day(4), POLICY);
    expect(again).toMatchObject({ consecutive: 4, escalate: false });
  });

  it('resets on a delivery between soft bounces', () => {
    const three = bounceOn([1, 2, 3]);
    const delivered = addDelivery(three.history, day(3.5), POLICY).history;
    expect(bounceOn([4, 5, 6, 7], delivered)).toMatchObject({ consecutive: 4, escalate: false });
  });

  it('honours a delivery that arrives after later soft bounces were recorded (order-independent)', () => {
    const five = bounceOn([1, 2, 3, 4, 5]);
    const withLateDelivery = addDelivery(five.history, day(2.5), POLICY).history;
    expect(addSoftBounce(withLateDelivery, 'event-6', day(6), POLICY)).toMatchObject({ consecutive: 4, escalate: false });
  });

  it('ignores soft bounces older than the window before the newest', () => {
    expect(bounceOn([0, 10, 40, 45, 50, 55])).toMatchObject({ consecutive: 4, escalate: false });
    expect(bounceOn([0, 10, 40, 45, 50, 55, 60])).toMatchObject({ consecutive: 5, escalate: true });
  });

  it('escalates when a late soft bounce completes a window that ended before newer ones', () => {
    // Time order: days 1-5 escalate at day 5; the bounce of day 60 arrived first.
    const late = bounceOn([60, 1, 2, 3, 4, 5]);
    expect(late.escalate).toBe(true);
    expect(isEscalated(late.history, POLICY)).toBe(true);
  });

  it('withdraws an escalation when a late delivery cancels bounces it counted', () => {
    // Three soft bounces, a delivery, three more: by the contract, never suppressed.
    const six = bounceOn([1, 2, 3, 5, 6, 7]);
    expect(isEscalated(six.history, POLICY)).toBe(true);
    const delivered = addDelivery(six.history, day(4), POLICY);
    expect(delivered.withdraw).toBe(true);
    expect(isEscalated(delivered.history, POLICY)).toBe(false);
  });

  it('does not withdraw when the soft bounces after the delivery escalate on their own', () => {
    const ten = bounceOn([1, 2, 3, 4, 5, 11, 12, 13, 14, 15]);
    expect(addDelivery(ten.history, day(10), POLICY).withdraw).toBe(false);
  });

  it('does not withdraw for a delivery older than every counted bounce, nor for one with nothing escalated', () => {
    const five = bounceOn([2, 3, 4, 5, 6]);
    expect(addDelivery(five.history, day(1), POLICY).withdraw).toBe(false);
    expect(addDelivery(bounceOn([1, 2]).history, day(3), POLICY).withdraw).toBe(false);
  });

  it('never escalates when the threshold is 0', () => {
    expect(bounceOn([1, 2, 3, 4, 5, 6, 7, 8], EMPTY, { threshold: 0, windowInDays: 30 })).toMatchObject({ escalate: false });
  });

  it('uses a custom threshold and window', () => {
    expect(bounceOn([1, 2], EMPTY, { threshold: 2, windowInDays: 1 })).toMatchObject({ consecutive: 2, escalate: true });
    expect(bounceOn([1, 3], EMPTY, { threshold: 2, windowInDays: 1 })).toMatchObject({ consecutive: 1, escalate: false });
  });

  it('keeps the later of two deliveries', () => {
    expect(addDelivery(addDelivery(EMPTY, day(5), POLICY).history, day(3), POLICY).history.lastDeliveryAt).toBe(day(5));
  });

  it.each([
    [{ threshold: -1, windowInDays: 30 }, 'soft-bounce threshold must be a whole number >= 0, got -1'],
    [{ threshold: 2.5, windowInDays: 30 }, 'soft-bounce threshold must be a whole number >= 0, got 2.5'],
    [{ threshold: 5, windowInDays: 0 }, 'soft-bounce window must be more than 0 days, got 0'],
  ])('rejects an invalid policy %j', (policy, message) => {
    expect(() => validatePolicy(policy)).toThrow(message);
  });
});
