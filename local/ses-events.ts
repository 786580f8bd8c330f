/**
 * SES event-publishing messages as SES sends them to the feedback topic (field set of AWS's
 * documented examples), for the local scenario and the integration tests.
 */

export interface MailFacts {
  readonly address: string;
  readonly messageId: string;
  /** When the event happened. */
  readonly at: Date;
  readonly configurationSet: string;
  readonly campaign?: string;
  readonly fromDomain?: string;
}

function mail(facts: MailFacts): Record<string, unknown> {
  const sentAt = new Date(facts.at.getTime() - 60_000).toISOString();
  const from = `news@${facts.fromDomain ?? 'mail.example.com'}`;
  return {
    timestamp: sentAt,
    source: from,
    sourceArn: `arn:aws:ses:us-east-1:123456789012:identity/${facts.fromDomain ?? 'mail.example.com'}`,
    sendingAccountId: '123456789012',
    messageId: facts.messageId,
    destination: [facts.address],
    headersTruncated: false,
    commonHeaders: { from: [from], to: [facts.address], messageId: facts.messageId, subject: facts.campaign ? `Campaign ${facts.campaign}` : 'Your receipt' },
    tags: {
      'ses:configuration-set': [facts.configurationSet],
      'ses:from-domain': [facts.fromDomain ?? 'mail.example.com'],
      'ses:caller-identity': ['sender'],
      ...(facts.campaign ? { campaign: [facts.campaign] } : {}),
    },
  };
}

/** A bounced recipient's DSN fields, as SES passes on what the receiving server said. */
export interface Dsn {
  readonly status: string;
  readonly diagnosticCode: string;
}

/** The receiving server's answer for a mailbox that does not exist. */
export const USER_UNKNOWN: Dsn = { status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' };

/** A bounce; the recipient and `reportingMTA` carry DSN fields only when the receiver sent a DSN. */
export function bounce(
  facts: MailFacts,
  type: 'Permanent' | 'Transient' = 'Permanent',
  subType = type === 'Permanent' ? 'General' : 'MailboxFull',
  dsn: Dsn | undefined = type === 'Permanent' ? USER_UNKNOWN : undefined,
): string {
  return JSON.stringify({
    eventType: 'Bounce',
    bounce: {
      bounceType: type,
      bounceSubType: subType,
      bouncedRecipients: [dsn ? { emailAddress: facts.address, action: 'failed', status: dsn.status, diagnosticCode: dsn.diagnosticCode } : { emailAddress: facts.address }],
      timestamp: facts.at.toISOString(),
      feedbackId: `${facts.messageId}-bounce`,
      ...(dsn ? { reportingMTA: 'dsn; a8-22.smtp-out.amazonses.com' } : {}),
    },
    mail: mail(facts),
  });
}

export function complaint(facts: MailFacts, feedbackType: string | undefined = 'abuse'): string {
  return JSON.stringify({
    eventType: 'Complaint',
    complaint: {
      complainedRecipients: [{ emailAddress: facts.address }],
      timestamp: facts.at.toISOString(),
      feedbackId: `${facts.messageId}-complaint`,
      complaintSubType: null,
      ...(feedbackType ? { userAgent: 'ExampleCorp Feedback Loop (V0.01)', complaintFeedbackType: feedbackType, arrivalDate: facts.at.toISOString() } : {}),
    },
    mail: mail(facts),
  });
}

export function delivery(facts: MailFacts): string {
  return JSON.stringify({
    eventType: 'Delivery',
    delivery: {
      timestamp: facts.at.toISOString(),
      processingTimeMillis: 546,
      recipients: [facts.address],
      smtpResponse: '250 2.6.0 Message received',
      reportingMTA: 'a8-70.smtp-out.amazonses.com',
    },
    mail: mail(facts),
  });
}
