import { feedbackClassOf, type FeedbackClass } from '../../../lambdas/process-feedback/feedback-record.js';
import { decisionsFor, fixture, variant } from '../../support/fixtures.js';

describe('feedbackClassOf', () => {
  it.each<[string, () => string, FeedbackClass]>([
    ['a Permanent bounce', () => fixture('eventpub-bounce-permanent-general.json'), 'hard-bounce'],
    ['a Transient bounce with an address status (5.1.1)', () => variant('derived/eventpub-bounce-transient-general.json', (m) => (m.bounce.bouncedRecipients[0].status = '5.1.1')), 'hard-bounce'],
    ['a provider block (5.7.1)', () => variant('derived/eventpub-bounce-transient-general.json', (m) => (m.bounce.bouncedRecipients[0].status = '5.7.1')), 'provider-block'],
    ['a soft bounce', () => fixture('derived/eventpub-bounce-transient-mailboxfull.json'), 'soft-bounce'],
    ['a message-level bounce', () => fixture('derived/eventpub-bounce-transient-messagetoolarge.json'), 'other'],
    ['a bounce off the account suppression list', () => fixture('notif-bounce-permanent-onaccountsuppressionlist-captured.json'), 'other'],
    ['a simulator bounce', () => fixture('notif-bounce-permanent-general-simulator-real.json'), 'other'],
    ['a complaint', () => fixture('eventpub-complaint-abuse.json'), 'complaint'],
    ['a not-spam complaint', () => fixture('derived/eventpub-complaint-not-spam.json'), 'other'],
    ['a delivery', () => fixture('eventpub-delivery.json'), 'other'],
  ])('reads the decision on %s back as %s', (_what, input, expected) => {
    // Act: what the classifier decided, as the audit trail keeps it
    const [decision, ...more] = decisionsFor(input());
    // Assess
    expect(more).toEqual([]);
    expect(feedbackClassOf(decision as NonNullable<typeof decision>)).toBe(expected);
  });

  it('reads entries by event type and action, whatever rule name they carry', () => {
    expect(feedbackClassOf({ eventType: 'Bounce', action: 'suppress', rule: 'permanent-status-on-soft-bounce' })).toBe('hard-bounce');
    expect(feedbackClassOf({ eventType: 'Bounce', action: 'count', rule: 'a-rule-not-yet-written' })).toBe('soft-bounce');
    expect(feedbackClassOf({ eventType: 'Bounce', action: 'record', rule: 'a-rule-not-yet-written' })).toBe('other');
    expect(feedbackClassOf({ eventType: 'OperatorRemoval', action: 'unsuppress', rule: 'operator-removal' })).toBe('other');
  });
});
