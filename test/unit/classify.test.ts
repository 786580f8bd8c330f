import { classify, readFeedback, type Decision } from '../../lambdas/domain/index.js';
import { decisionsFor, fixture, variant } from '../support/fixtures.js';

type Expected = Pick<Decision, 'address' | 'action' | 'reason' | 'rule'>;
const pick = (d: Decision): Expected => ({ address: d.address, action: d.action, reason: d.reason, rule: d.rule });

const BOUNCE_EVENTPUB = 'eventpub-bounce-permanent-general.json';
const TRANSIENT_GENERAL = 'derived/eventpub-bounce-transient-general.json';
const setRecipientStatus = (status: string) => (m: any) => {
  m.bounce.bouncedRecipients[0].status = status;
};

/**
 * The classification contract of DESIGN.md, one row per rule, each over a real SES payload (or a
 * named one-field variant of one where the corpus has no genuine sample).
 */
const CONTRACT: Array<[rule: string, input: () => string, expected: Expected[]]> = [
  // Permanent bounces → suppress BOUNCE, only the bounced recipients
  ['suppresses a Permanent/General bounce (event publishing)', () => fixture(BOUNCE_EVENTPUB),
    [{ address: 'recipient@example.com', action: 'suppress', reason: 'BOUNCE', rule: 'permanent-bounce' }]],
  ['suppresses only bouncedRecipients, never the other destinations (notification, 1 of 3)', () => fixture('notif-bounce-permanent-general-with-dsn.json'),
    [{ address: 'jane@example.com', action: 'suppress', reason: 'BOUNCE', rule: 'permanent-bounce' }]],
  ['suppresses every bounced recipient of a multi-recipient bounce without DSN', () => fixture('notif-bounce-permanent-general-no-dsn-multi-recipient.json'),
    [{ address: 'jane@example.com', action: 'suppress', reason: 'BOUNCE', rule: 'permanent-bounce' },
     { address: 'richard@example.com', action: 'suppress', reason: 'BOUNCE', rule: 'permanent-bounce' }]],
  ['suppresses a Permanent/NoEmail bounce', () => fixture('derived/eventpub-bounce-permanent-noemail.json'),
    [{ address: 'recipient@example.com', action: 'suppress', reason: 'BOUNCE', rule: 'permanent-bounce' }]],
  // Base: the real Permanent/Suppressed bounce object (carbon/Amazon); its recipient is a simulator address, so it is swapped for a real-looking one.
  ['suppresses a Permanent/Suppressed bounce (global suppression list)', () => variant('derived/eventpub-bounce-permanent-suppressed.json', (m) => {
    m.bounce.bouncedRecipients[0].emailAddress = 'dana@example.com';
  }), [{ address: 'dana@example.com', action: 'suppress', reason: 'BOUNCE', rule: 'permanent-bounce' }]],
  ['suppresses a Permanent bounce with a subtype SES adds in future', () => variant(BOUNCE_EVENTPUB, (m) => {
    m.bounce.bounceSubType = 'SomethingNew';
  }), [{ address: 'recipient@example.com', action: 'suppress', reason: 'BOUNCE', rule: 'permanent-bounce' }]],
  ['suppresses every recipient of a Permanent bounce, even one whose own status says 4.0.0', () => fixture('derived/eventpub-bounce-permanent-general-mixed-recipient-status.json'),
    [{ address: 'recipient1@example.com', action: 'suppress', reason: 'BOUNCE', rule: 'permanent-bounce' },
     { address: 'recipient2@example.com', action: 'suppress', reason: 'BOUNCE', rule: 'permanent-bounce' }]],
  ['records Permanent/OnAccountSuppressionList (already suppressed, not in the rate)', () => fixture('notif-bounce-permanent-onaccountsuppressionlist-captured.json'),
    [{ address: 'relayuser@example.net', action: 'record', reason: null, rule: 'already-on-account-suppression-list' }]],
  ['records Permanent/OnAccountSuppressionList in event-publishing format', () => fixture('derived/eventpub-bounce-permanent-onaccountsuppressionlist.json'),
    [{ address: 'relayuser@example.net', action: 'record', reason: null, rule: 'already-on-account-suppression-list' }]],
  // Transient with a 5.x.x status → suppress
  ['suppresses a Transient bounce whose recipient status is 5.4.4', () => variant(TRANSIENT_GENERAL, setRecipientStatus('5.4.4')),
    [{ address: 'recipient@example.com', action: 'suppress', reason: 'BOUNCE', rule: 'permanent-status-on-soft-bounce' }]],
  ['suppresses a Transient bounce whose recipient status is 5.1.1', () => variant('derived/eventpub-bounce-transient-mailboxfull.json', setRecipientStatus('5.1.1')),
    [{ address: 'recipient@example.com', action: 'suppress', reason: 'BOUNCE', rule: 'permanent-status-on-soft-bounce' }]],
  ['suppresses a Transient bounce with an unknown subtype and status 5.0.0 (Mozilla capture)', () => fixture('upstream-modified/sns-envelope-soft-bounce-mozilla.json'),
    [{ address: 'relayuser@example.net', action: 'suppress', reason: 'BOUNCE', rule: 'permanent-status-on-soft-bounce' }]],
  // Transient MailboxFull / General / Undetermined → count
  ['counts a Transient/MailboxFull bounce', () => fixture('derived/eventpub-bounce-transient-mailboxfull.json'),
    [{ address: 'recipient@example.com', action: 'count', reason: null, rule: 'soft-bounce' }]],
  ['counts a Transient/General bounce (both recipients, notification format)', () => fixture('derived/notif-bounce-transient-general.json'),
    [{ address: 'jane@example.com', action: 'count', reason: null, rule: 'soft-bounce' },
     { address: 'richard@example.com', action: 'count', reason: null, rule: 'soft-bounce' }]],
  ['counts an Undetermined bounce', () => fixture('derived/eventpub-bounce-undetermined-undetermined.json'),
    [{ address: 'recipient@example.com', action: 'count', reason: null, rule: 'soft-bounce' }]],
  ['counts a Transient/MailboxFull bounce whose status is 4.2.2', () => variant('derived/eventpub-bounce-transient-mailboxfull.json', setRecipientStatus('4.2.2')),
    [{ address: 'recipient@example.com', action: 'count', reason: null, rule: 'soft-bounce' }]],
  // Message-level transient bounces → record
  ['records Transient/MessageTooLarge (the message was the problem)', () => fixture('derived/eventpub-bounce-transient-messagetoolarge.json'),
    [{ address: 'recipient@example.com', action: 'record', reason: null, rule: 'message-level-bounce' }]],
  ['records Transient/ContentRejected', () => fixture('derived/notif-bounce-transient-contentrejected.json'),
    [{ address: 'jane@example.com', action: 'record', reason: null, rule: 'message-level-bounce' },
     { address: 'richard@example.com', action: 'record', reason: null, rule: 'message-level-bounce' }]],
  ['records Transient/AttachmentRejected', () => fixture('derived/eventpub-bounce-transient-attachmentrejected.json'),
    [{ address: 'recipient@example.com', action: 'record', reason: null, rule: 'message-level-bounce' }]],
  ['records Transient/MessageTooLarge even with status 5.3.4 (the status is about the message)', () => variant('derived/eventpub-bounce-transient-messagetoolarge.json', setRecipientStatus('5.3.4')),
    [{ address: 'recipient@example.com', action: 'record', reason: null, rule: 'message-level-bounce' }]],
  // Complaints
  ['suppresses an abuse complaint (event publishing)', () => fixture('eventpub-complaint-abuse.json'),
    [{ address: 'recipient@example.com', action: 'suppress', reason: 'COMPLAINT', rule: 'complaint' }]],
  ['suppresses a complaint without a feedback report (notification)', () => fixture('notif-complaint-no-feedback.json'),
    [{ address: 'richard@example.com', action: 'suppress', reason: 'COMPLAINT', rule: 'complaint' }]],
  ...(['auth-failure', 'fraud', 'other', 'virus'] as const).map((type): [string, () => string, Expected[]] => [
    `suppresses a ${type} complaint`, () => fixture(`derived/eventpub-complaint-${type}.json`),
    [{ address: 'recipient@example.com', action: 'suppress', reason: 'COMPLAINT', rule: 'complaint' }]]),
  ['records a not-spam complaint (event publishing)', () => fixture('derived/eventpub-complaint-not-spam.json'),
    [{ address: 'recipient@example.com', action: 'record', reason: null, rule: 'complaint-not-spam' }]],
  ['records a not-spam complaint (notification)', () => fixture('derived/notif-complaint-not-spam.json'),
    [{ address: 'richard@example.com', action: 'record', reason: null, rule: 'complaint-not-spam' }]],
  ['records a complaint with complaintSubType OnAccountSuppressionList', () => fixture('derived/eventpub-complaint-onaccountsuppressionlist.json'),
    [{ address: 'recipient@example.com', action: 'record', reason: null, rule: 'already-on-account-suppression-list' }]],
  // Mailbox simulator → always record
  ['records a real simulator hard bounce (bounce@simulator.amazonses.com)', () => fixture('notif-bounce-permanent-general-simulator-real.json'),
    [{ address: 'bounce@simulator.amazonses.com', action: 'record', reason: null, rule: 'mailbox-simulator' }]],
  ['records a real simulator complaint (signed SNS capture)', () => fixture('sns-envelope-eventpub-complaint-simulator-real-signed.json'),
    [{ address: 'complaint@simulator.amazonses.com', action: 'record', reason: null, rule: 'mailbox-simulator' }]],
  ['records a real simulator suppressionlist bounce (Permanent/Suppressed)', () => fixture('notif-bounce-permanent-suppressed-simulator-real.json'),
    [{ address: 'hi@simulator.amazonses.com', action: 'record', reason: null, rule: 'mailbox-simulator' }]],
  ['records a labelled, upper-case simulator address', () => variant(BOUNCE_EVENTPUB, (m) => {
    m.bounce.bouncedRecipients[0].emailAddress = 'Bounce+Label1@Simulator.AmazonSES.com';
  }), [{ address: 'bounce+label1@simulator.amazonses.com', action: 'record', reason: null, rule: 'mailbox-simulator' }]],
  // Events with no effect on suppression → record
  ...([
    ['Delivery', 'eventpub-delivery.json', 'recipient@example.com'],
    ['Delivery (notification)', 'notif-delivery.json', 'jane@example.com'],
    ['DeliveryDelay', 'eventpub-deliverydelay-transientcommunicationfailure.json', 'recipient@example.com'],
    ['Reject', 'eventpub-reject.json', 'sender@example.com'],
    ['Send', 'eventpub-send.json', 'recipient@example.com'],
    ['Open', 'eventpub-open.json', 'recipient@example.com'],
    ['Click', 'eventpub-click.json', 'recipient@example.com'],
    ['Rendering Failure', 'eventpub-rendering-failure.json', 'recipient@example.com'],
    ['Subscription', 'eventpub-subscription.json', 'recipient@example.com'],
  ] as const).map(([type, file, address]): [string, () => string, Expected[]] => [
    `records a ${type} event`, () => fixture(file), [{ address, action: 'record', reason: null, rule: 'no-effect' }]]),
  ['records an event type SES adds in future, for every destination', () => variant('eventpub-send.json', (m) => {
    m.eventType = 'Quarantine';
  }), [{ address: 'recipient@example.com', action: 'record', reason: null, rule: 'no-effect' }]],
  // Addresses
  ['compares addresses case-insensitively: one decision for Jane@ and jane@', () => variant('notif-bounce-permanent-general-no-dsn-multi-recipient.json', (m) => {
    m.bounce.bouncedRecipients[1].emailAddress = 'JANE@Example.com';
  }), [{ address: 'jane@example.com', action: 'suppress', reason: 'BOUNCE', rule: 'permanent-bounce' }]],
];

describe('classify: the DESIGN.md contract', () => {
  it.each(CONTRACT)('%s', (_rule, input, expected) => {
    // Act
    const decisions = decisionsFor(input()).map(pick);
    // Assess
    expect(decisions).toEqual(expected);
  });

  it('carries event type, message ID and the event time on each decision', () => {
    const [decision] = decisionsFor(fixture(BOUNCE_EVENTPUB));
    expect(decision).toMatchObject({
      eventType: 'Bounce',
      messageId: 'EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000',
      eventAt: '2017-08-05T00:41:02.669Z',
      detail: { bounceType: 'Permanent', bounceSubType: 'General', status: '5.1.1' },
    });
  });

  it('keeps the strongest decision when one address is listed twice', () => {
    const input = variant(TRANSIENT_GENERAL, (m) => {
      m.bounce.bouncedRecipients = [{ emailAddress: 'a@example.com' }, { emailAddress: 'A@example.com', status: '5.1.1' }];
    });
    expect(decisionsFor(input).map(pick)).toEqual([
      { address: 'a@example.com', action: 'suppress', reason: 'BOUNCE', rule: 'permanent-status-on-soft-bounce' },
    ]);
  });

  it('is pure: the same message gives the same decisions', () => {
    const [item] = readFeedback(fixture('notif-bounce-permanent-general-no-dsn-multi-recipient.json'));
    if (item?.kind !== 'feedback') throw new Error('fixture is feedback');
    expect(classify(item.message)).toEqual(classify(item.message));
  });
});
