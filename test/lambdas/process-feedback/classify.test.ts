import { classify, type Decision } from '../../../lambdas/process-feedback/classify.js';
import { readFeedback } from '../../../lambdas/process-feedback/envelope.js';
import { decisionsFor, fixture, variant } from '../../support/fixtures.js';

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
  // A real SES capture whose upstream invented a Transient subtype; its recipient status is 5.1.1
  ['suppresses a Transient bounce with an unknown subtype and status 5.1.1 (Mozilla capture)', () => fixture('upstream-modified/sns-envelope-soft-bounce-mozilla.json'),
    [{ address: 'relayuser@example.net', action: 'suppress', reason: 'BOUNCE', rule: 'address-status' }]],
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

/**
 * The contract for bounces SES did not mark Permanent: each recipient by its own DSN status, read
 * from `status`, else from the enhanced code in `diagnosticCode`. Each row runs on both SES formats.
 */
type DsnRow = [what: string, recipient: { status?: string; diagnosticCode?: string }, expected: Pick<Decision, 'action' | 'reason' | 'rule'>];
const SUPPRESS = { action: 'suppress', reason: 'BOUNCE', rule: 'address-status' } as const;
const BLOCK = { action: 'record', reason: null, rule: 'provider-block' } as const;
const MESSAGE = { action: 'record', reason: null, rule: 'message-level-bounce' } as const;
const SOFT = { action: 'count', reason: null, rule: 'soft-bounce' } as const;
const GMAIL_SPAM_BLOCK = 'smtp; 550-5.7.1 [203.0.113.7 12] Our system has detected that this message is likely unsolicited mail. To reduce the amount of spam sent to Gmail, this message has been blocked.';
const GMAIL_DMARC = "smtp; 550 5.7.26 Unauthenticated email from news.example.com is not accepted due to domain's DMARC policy.";
const DSN_ROWS: DsnRow[] = [
  ['suppresses 5.1.1 (no such mailbox)', { status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' }, SUPPRESS],
  ['suppresses 5.1.10 read from the diagnostic code alone (null MX, Microsoft 365)', { diagnosticCode: 'smtp; 550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup' }, SUPPRESS],
  ['suppresses 5.1.6 (mailbox has moved)', { status: '5.1.6' }, SUPPRESS],
  ['suppresses 5.2.1 (mailbox disabled)', { status: '5.2.1', diagnosticCode: 'smtp; 550 5.2.1 The email account that you tried to reach is disabled.' }, SUPPRESS],
  ['suppresses 5.4.4 (unroutable domain)', { status: '5.4.4', diagnosticCode: 'smtp; 554 5.4.4 SMTPSEND.DNS.NonExistentDomain; nonexistent domain' }, SUPPRESS],
  ['records 5.7.1 as a provider block (Gmail spam block)', { status: '5.7.1', diagnosticCode: GMAIL_SPAM_BLOCK }, BLOCK],
  ['records 5.7.26 read from the diagnostic code alone as a provider block (DMARC)', { diagnosticCode: GMAIL_DMARC }, BLOCK],
  ['records 5.7.1 as a provider block (Microsoft block list)', { status: '5.7.1', diagnosticCode: "smtp; 550 5.7.1 Unfortunately, messages from [203.0.113.7] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150)." }, BLOCK],
  ['records 5.6.1 as message-level (content)', { status: '5.6.1', diagnosticCode: 'smtp; 554 5.6.1 Media type not supported' }, MESSAGE],
  ['records 5.3.4 on a General bounce as message-level (too big)', { status: '5.3.4', diagnosticCode: 'smtp; 552 5.3.4 Message size exceeds fixed maximum message size' }, MESSAGE],
  ['counts 5.0.0 (nothing certain)', { status: '5.0.0', diagnosticCode: 'smtp; 550 5.0.0 Requested action not taken' }, SOFT],
  ['counts 5.0.0 with text after the code', { status: '5.0.0 (permanent failure)' }, SOFT],
  ['counts 5.2.2 (mailbox full), whatever its first digit', { status: '5.2.2', diagnosticCode: 'smtp; 552-5.2.2 The email account that you tried to reach is over quota.' }, SOFT],
  ['counts another 5.3.x', { status: '5.3.0' }, SOFT],
  ['counts another 5.4.x (5.4.1)', { status: '5.4.1', diagnosticCode: 'smtp; 550 5.4.1 Recipient address rejected: Access denied.' }, SOFT],
  ['counts 5.5.x', { status: '5.5.0' }, SOFT],
  ['counts 4.4.7 (SES gave up retrying)', { status: '4.4.7', diagnosticCode: 'smtp; 421 4.4.7 Message expired' }, SOFT],
  ['counts 4.7.28 (Gmail rate limit, still temporary)', { diagnosticCode: 'smtp; 421-4.7.28 Our system has detected an unusual rate of unsolicited mail originating from your IP address.' }, SOFT],
  ['counts a diagnostic code with no enhanced code', { diagnosticCode: 'X-Postfix; unknown user' }, SOFT],
  ['counts a status that carries no enhanced code', { status: 'failed' }, SOFT],
];
const withDsn = (recipient: DsnRow[1]) => (r: any) => Object.assign(r, recipient);
/** Rows where the bounce itself changes too: its type or subtype, with the statuses tried and their decisions. */
const CHANGED_BOUNCES: Array<[what: string, change: { bounceType?: string; bounceSubType?: string }, cases: Array<[status: string, expected: DsnRow[2]]>]> = [
  ['decides an Undetermined bounce the same way (5.7.1 recorded, 5.1.1 suppressed)', { bounceType: 'Undetermined', bounceSubType: 'Undetermined' }, [['5.7.1', BLOCK], ['5.1.1', SUPPRESS]]],
  ['lets a message-level subtype win over an address or policy status', { bounceSubType: 'MessageTooLarge' }, [['5.1.1', MESSAGE], ['5.7.1', MESSAGE]]],
  ['still suppresses a Permanent bounce whose status is 5.7.1 or 4.4.7 (SES decided)', { bounceType: 'Permanent', bounceSubType: 'General' }, [
    ['5.7.1', { action: 'suppress', reason: 'BOUNCE', rule: 'permanent-bounce' }],
    ['4.4.7', { action: 'suppress', reason: 'BOUNCE', rule: 'permanent-bounce' }],
  ]],
];
const FORMATS: Array<[format: string, base: string, addresses: string[]]> = [
  ['event publishing', TRANSIENT_GENERAL, ['recipient@example.com']],
  ['notification', 'derived/notif-bounce-transient-general.json', ['jane@example.com', 'richard@example.com']],
];

describe('classify: Transient and Undetermined bounces, by DSN status', () => {
  describe.each(FORMATS)('%s format (base %s, every bounced recipient given the status)', (_format, base, addresses) => {
    it.each(DSN_ROWS)('%s', (_what, recipient, expected) => {
      // Prepare
      const input = variant(base, (m) => m.bounce.bouncedRecipients.forEach(withDsn(recipient)));
      // Act
      const decisions = decisionsFor(input).map(pick);
      // Assess
      expect(decisions).toEqual(addresses.map((address) => ({ address, ...expected })));
    });

    it.each(CHANGED_BOUNCES)('%s', (_what, change, cases) => {
      for (const [status, expected] of cases) {
        // Prepare
        const input = variant(base, (m) => {
          Object.assign(m.bounce, change);
          m.bounce.bouncedRecipients.forEach(withDsn({ status }));
        });
        // Act, Assess
        expect(decisionsFor(input).map(pick)).toEqual(addresses.map((address) => ({ address, ...expected })));
      }
    });
  });

  it.each([
    ['event publishing', 'derived/eventpub-bounce-permanent-general-multi-recipient.json'],
    ['notification', 'notif-bounce-permanent-general-no-dsn-multi-recipient.json'],
  ])('decides each recipient of one %s message by its own status (base %s, made Transient/General, mary added)', (_format, base) => {
    // Prepare: jane's mailbox is gone, richard's provider blocks the sender, mary's server timed out
    const input = variant(base, (m) => {
      m.bounce.bounceType = 'Transient';
      m.bounce.bounceSubType = 'General';
      m.bounce.bouncedRecipients = [
        { emailAddress: 'jane@example.com', action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' },
        { emailAddress: 'richard@example.com', action: 'failed', status: '5.7.1', diagnosticCode: GMAIL_SPAM_BLOCK },
        { emailAddress: 'mary@example.com', action: 'failed', status: '4.4.7', diagnosticCode: 'smtp; 421 4.4.7 Message expired' },
      ];
    });
    // Act
    const decisions = decisionsFor(input);
    // Assess
    expect(decisions.map(pick)).toEqual([
      { address: 'jane@example.com', ...SUPPRESS },
      { address: 'richard@example.com', ...BLOCK },
      { address: 'mary@example.com', ...SOFT },
    ]);
    expect(decisions.map((d) => [d.detail.dsnCode, d.detail.dsnClass])).toEqual([['5.1.1', 'address'], ['5.7.1', 'policy'], ['4.4.7', 'transient']]);
  });

  it('keeps the status read from the diagnostic code in the decision detail', () => {
    const input = variant(TRANSIENT_GENERAL, (m) => m.bounce.bouncedRecipients.forEach(withDsn({ diagnosticCode: GMAIL_DMARC })));
    const [decision] = decisionsFor(input);
    expect(decision?.detail).toEqual({ bounceType: 'Transient', bounceSubType: 'General', status: undefined, diagnosticCode: GMAIL_DMARC, dsnCode: '5.7.26', dsnClass: 'policy' });
  });
});

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
      detail: { bounceType: 'Permanent', bounceSubType: 'General', status: '5.1.1', dsnCode: '5.1.1', dsnClass: 'address' },
    });
  });

  it('keeps the strongest decision when one address is listed twice', () => {
    const input = variant(TRANSIENT_GENERAL, (m) => {
      m.bounce.bouncedRecipients = [{ emailAddress: 'a@example.com' }, { emailAddress: 'A@example.com', status: '5.1.1' }];
    });
    expect(decisionsFor(input).map(pick)).toEqual([
      { address: 'a@example.com', action: 'suppress', reason: 'BOUNCE', rule: 'address-status' },
    ]);
  });

  it('is pure: the same message gives the same decisions', () => {
    const [item] = readFeedback(fixture('notif-bounce-permanent-general-no-dsn-multi-recipient.json'));
    if (item?.kind !== 'feedback') throw new Error('fixture is feedback');
    expect(classify(item.message)).toEqual(classify(item.message));
  });
});
