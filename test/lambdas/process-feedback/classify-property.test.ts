import fc from 'fast-check';
import { type Decision } from '../../../lambdas/process-feedback/classify.js';
import { decisionsFor, variant } from '../../support/fixtures.js';

/**
 * Properties of the contract for bounces SES did not mark Permanent, over generated statuses and
 * diagnostic codes on a real payload (base `derived/eventpub-bounce-transient-general.json`, its
 * bounce type, subtype and recipients replaced).
 */
const BASE = 'derived/eventpub-bounce-transient-general.json';
const MESSAGE_LEVEL = ['MessageTooLarge', 'ContentRejected', 'AttachmentRejected'];

interface Code {
  readonly failure: 4 | 5;
  readonly subject: number;
  readonly detail: number;
}

const code: fc.Arbitrary<Code> = fc.record({
  failure: fc.constantFrom(4 as const, 5 as const),
  // Mostly the subjects RFC 3463 defines, sometimes any 1-3 digit number
  subject: fc.oneof(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 999 })),
  detail: fc.oneof(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 999 })),
});
const text = fc.string({ maxLength: 60 });
/** Where the code is written: SES's `status` (maybe with text after it), or only the SMTP diagnostic. */
type Placement =
  | { readonly kind: 'status'; readonly suffix: string | undefined }
  | { readonly kind: 'diagnostic'; readonly type: string; readonly reply: string; readonly separator: string; readonly suffix: string };
const placement: fc.Arbitrary<Placement> = fc.oneof(
  fc.record({ kind: fc.constant('status' as const), suffix: fc.option(text, { nil: undefined }) }),
  fc.record({
    kind: fc.constant('diagnostic' as const),
    type: fc.constantFrom('smtp; ', 'smtp;', 'SMTP; ', ''),
    reply: fc.constantFrom('421', '450', '451', '550', '552', '553', '554'),
    separator: fc.constantFrom(' ', '-'),
    suffix: text,
  }),
);
const nonPermanent = fc.record({
  bounceType: fc.constantFrom('Transient', 'Undetermined'),
  bounceSubType: fc.oneof(fc.constantFrom('General', 'MailboxFull', 'Undetermined'), fc.string({ minLength: 1 }).filter((s) => !MESSAGE_LEVEL.includes(s))),
});

const written = (c: Code): string => `${c.failure}.${c.subject}.${c.detail}`;

function recipient(c: Code, where: Placement): Record<string, string> {
  return where.kind === 'status'
    ? { status: where.suffix === undefined ? written(c) : `${written(c)} ${where.suffix}` }
    : { diagnosticCode: `${where.type}${where.reply}${where.separator}${written(c)} ${where.suffix}` };
}

/** The one decision for `recipient@example.com` of a generated bounce. */
function decide(bounce: { bounceType: string; bounceSubType: string }, fields: Record<string, string>): Pick<Decision, 'action' | 'reason' | 'rule'> {
  const decisions = decisionsFor(
    variant(BASE, (m) => {
      Object.assign(m.bounce, bounce);
      m.bounce.bouncedRecipients = [{ emailAddress: 'recipient@example.com', ...fields }];
    }),
  );
  expect(decisions).toHaveLength(1);
  const [{ action, reason, rule }] = decisions as [Decision];
  return { action, reason, rule };
}

describe('classify: properties of non-Permanent bounces', () => {
  it('decides by the enhanced code alone: not by subtype, bounce type, where the code is written or the text around it', () => {
    fc.assert(
      fc.property(code, nonPermanent, placement, nonPermanent, placement, (c, bounceA, whereA, bounceB, whereB) => {
        expect(decide(bounceA, recipient(c, whereA))).toEqual(decide(bounceB, recipient(c, whereB)));
      }),
    );
  });

  it('never suppresses a 5.7.x status: it is recorded as a provider block', () => {
    fc.assert(
      fc.property(code, nonPermanent, placement, (c, bounce, where) => {
        expect(decide(bounce, recipient({ ...c, failure: 5, subject: 7 }, where))).toEqual({ action: 'record', reason: null, rule: 'provider-block' });
      }),
    );
  });

  it('always suppresses a 5.1.x status with reason BOUNCE', () => {
    fc.assert(
      fc.property(code, nonPermanent, placement, (c, bounce, where) => {
        expect(decide(bounce, recipient({ ...c, failure: 5, subject: 1 }, where))).toEqual({ action: 'suppress', reason: 'BOUNCE', rule: 'address-status' });
      }),
    );
  });

  it('never suppresses a 4.x.x status: it counts as a soft bounce', () => {
    fc.assert(
      fc.property(code, nonPermanent, placement, (c, bounce, where) => {
        expect(decide(bounce, recipient({ ...c, failure: 4 }, where))).toEqual({ action: 'count', reason: null, rule: 'soft-bounce' });
      }),
    );
  });

  it('gives one decision and never throws for any status and diagnostic text', () => {
    fc.assert(
      fc.property(nonPermanent, fc.option(fc.string(), { nil: undefined }), fc.option(fc.string(), { nil: undefined }), (bounce, status, diagnosticCode) => {
        const fields = { ...(status === undefined ? {} : { status }), ...(diagnosticCode === undefined ? {} : { diagnosticCode }) };
        expect(['suppress', 'count', 'record']).toContain(decide(bounce, fields).action);
      }),
    );
  });
});
