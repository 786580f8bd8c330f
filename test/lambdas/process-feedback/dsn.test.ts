import { readDsnStatus, type DsnClass } from '../../../lambdas/process-feedback/dsn.js';

/**
 * Status and diagnostic texts as receiving servers write them (Gmail, Microsoft 365, Yahoo,
 * Postfix, SES's own), with the enhanced code and class the contract decides by.
 */
const FROM_STATUS: Array<[status: string, code: string, dsnClass: DsnClass]> = [
  ['5.1.1', '5.1.1', 'address'],
  ['5.1.10', '5.1.10', 'address'],
  ['5.1.6', '5.1.6', 'address'],
  ['5.2.1', '5.2.1', 'address'],
  ['5.4.4', '5.4.4', 'address'],
  ['5.7.1', '5.7.1', 'policy'],
  ['5.7.26', '5.7.26', 'policy'],
  ['5.7.509', '5.7.509', 'policy'],
  ['5.6.0', '5.6.0', 'content'],
  ['5.3.4', '5.3.4', 'content'],
  ['5.0.0', '5.0.0', 'other-permanent'],
  ['5.0.0 (permanent failure)', '5.0.0', 'other-permanent'],
  ['5.2.2', '5.2.2', 'other-permanent'],
  ['5.3.0', '5.3.0', 'other-permanent'],
  ['5.4.1', '5.4.1', 'other-permanent'],
  ['5.5.0', '5.5.0', 'other-permanent'],
  ['4.4.7', '4.4.7', 'transient'],
  ['4.0.0', '4.0.0', 'transient'],
  ['4.7.28', '4.7.28', 'transient'],
  [' 5.1.1 ', '5.1.1', 'address'],
];

const FROM_DIAGNOSTIC: Array<[diagnosticCode: string, code: string | undefined, dsnClass: DsnClass]> = [
  ['smtp; 550 5.1.1 user unknown', '5.1.1', 'address'],
  ["smtp; 550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces.", '5.1.1', 'address'],
  ['smtp; 550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup', '5.1.10', 'address'],
  ['smtp; 550 5.2.1 The email account that you tried to reach is disabled.', '5.2.1', 'address'],
  ['smtp; 554 5.4.4 SMTPSEND.DNS.NonExistentDomain; nonexistent domain', '5.4.4', 'address'],
  ['smtp; 550-5.7.1 [203.0.113.7 12] Our system has detected that this message is likely unsolicited mail. To reduce the amount of spam sent to Gmail, this message has been blocked.', '5.7.1', 'policy'],
  ["smtp; 550 5.7.26 Unauthenticated email from news.example.com is not accepted due to domain's DMARC policy.", '5.7.26', 'policy'],
  ["550-5.7.26 Your email has been blocked because the sender is unauthenticated.", '5.7.26', 'policy'],
  ["smtp; 550 5.7.1 Unfortunately, messages from [203.0.113.7] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150).", '5.7.1', 'policy'],
  ['smtp; 554 5.7.9 Message not accepted for policy reasons.', '5.7.9', 'policy'],
  ['smtp;554 #5.7.1 relay access denied', '5.7.1', 'policy'],
  ['SMTP; 552 5.3.4 Message size exceeds fixed maximum message size', '5.3.4', 'content'],
  ['smtp; 552-5.2.2 The email account that you tried to reach is over quota.', '5.2.2', 'other-permanent'],
  ['smtp; 550 5.4.1 Recipient address rejected: Access denied.', '5.4.1', 'other-permanent'],
  ['smtp; 421 4.4.1 Unable to connect to remote host', '4.4.1', 'transient'],
  ['smtp; 421-4.7.28 Our system has detected an unusual rate of unsolicited mail originating from your IP address.', '4.7.28', 'transient'],
  ['5.1.1 user unknown', '5.1.1', 'address'],
  // no enhanced code where one would be read: nothing to decide by
  ['smtp; 550 user unknown', undefined, 'none'],
  ['X-Postfix; unknown user', undefined, 'none'],
  ['Amazon SES did not send the message to this address because it is on the suppression list for your account.', undefined, 'none'],
  ['smtp; 250 2.0.0 OK', undefined, 'none'],
  ['Message considered as spam. 550 5.7.1', undefined, 'none'],
  ['smtp; 550 5.1.1000 too many digits', undefined, 'none'],
];

describe('readDsnStatus', () => {
  it.each(FROM_STATUS)('reads status %j as %s (%s)', (status, code, dsnClass) => {
    expect(readDsnStatus(status, 'smtp; 550 5.7.1 the diagnostic says otherwise')).toEqual({ code, dsnClass });
  });

  it.each(FROM_DIAGNOSTIC)('reads diagnosticCode %j as %s (%s) when there is no status', (diagnosticCode, code, dsnClass) => {
    expect(readDsnStatus(undefined, diagnosticCode)).toEqual({ code, dsnClass });
  });

  it('falls back to the diagnostic code when the status carries no enhanced code', () => {
    expect(readDsnStatus('', 'smtp; 550 5.7.26 Unauthenticated email')).toEqual({ code: '5.7.26', dsnClass: 'policy' });
    expect(readDsnStatus('failed', 'smtp; 550 5.1.1 user unknown')).toEqual({ code: '5.1.1', dsnClass: 'address' });
  });

  it('gives no code and class none when there is neither status nor diagnostic', () => {
    expect(readDsnStatus(undefined, undefined)).toEqual({ code: undefined, dsnClass: 'none' });
  });

  it('writes the code without leading zeros, so one status is one key', () => {
    expect(readDsnStatus('5.07.026', undefined)).toEqual({ code: '5.7.26', dsnClass: 'policy' });
  });
});
