import { addDelivery, addSoftBounce, validatePolicy, type SoftBounceHistory } from '../../lambdas/domain/index.js';

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
    const delivered = addDelivery(three.history, day(3.5));
    expect(bounceOn([4, 5, 6, 7], delivered)).toMatchObject({ consecutive: 4, escalate: false });
  });

  it('honours a delivery that arrives after later soft bounces were recorded (order-independent)', () => {
    const five = bounceOn([1, 2, 3, 4, 5]);
    const withLateDelivery = addDelivery(five.history, day(2.5));
    expect(addSoftBounce(withLateDelivery, 'event-6', day(6), POLICY)).toMatchObject({ consecutive: 4, escalate: false });
  });

  it('ignores soft bounces older than the window before the newest', () => {
    expect(bounceOn([0, 10, 40, 45, 50, 55])).toMatchObject({ consecutive: 4, escalate: false });
    expect(bounceOn([0, 10, 40, 45, 50, 55, 60])).toMatchObject({ consecutive: 5, escalate: true });
  });

  it('never escalates when the threshold is 0', () => {
    expect(bounceOn([1, 2, 3, 4, 5, 6, 7, 8], EMPTY, { threshold: 0, windowInDays: 30 })).toMatchObject({ escalate: false });
  });

  it('uses a custom threshold and window', () => {
    expect(bounceOn([1, 2], EMPTY, { threshold: 2, windowInDays: 1 })).toMatchObject({ consecutive: 2, escalate: true });
    expect(bounceOn([1, 3], EMPTY, { threshold: 2, windowInDays: 1 })).toMatchObject({ consecutive: 1, escalate: false });
  });

  it('keeps the later of two deliveries', () => {
    expect(addDelivery(addDelivery(EMPTY, day(5)), day(3)).lastDeliveryAt).toBe(day(5));
  });

  it.each([
    [{ threshold: -1, windowInDays: 30 }, 'soft-bounce threshold must be a whole number >= 0, got -1'],
    [{ threshold: 2.5, windowInDays: 30 }, 'soft-bounce threshold must be a whole number >= 0, got 2.5'],
    [{ threshold: 5, windowInDays: 0 }, 'soft-bounce window must be more than 0 days, got 0'],
  ])('rejects an invalid policy %j', (policy, message) => {
    expect(() => validatePolicy(policy)).toThrow(message);
  });
});
