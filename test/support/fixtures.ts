import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { classify, type Decision } from '../../lambdas/process-feedback/classify.js';
import { readFeedback } from '../../lambdas/process-feedback/envelope.js';

const FIXTURES = join(__dirname, '..', 'fixtures');

/** The text of a fixture under test/fixtures (copied from the shared SES corpus; see SOURCES.md). */
export function fixture(relativePath: string): string {
  return readFileSync(join(FIXTURES, relativePath), 'utf8');
}

export function fixtureJson<T = any>(relativePath: string): T {
  return JSON.parse(fixture(relativePath)) as T;
}

/**
 * A real payload with one change, for contract rows the corpus has no genuine sample of.
 * Every use names the base file and the change.
 */
export function variant(relativePath: string, change: (message: any) => void): string {
  const message = fixtureJson(relativePath);
  change(message);
  return JSON.stringify(message);
}

/** Every decision the pipeline makes for one input. */
export function decisionsFor(input: string): Decision[] {
  return readFeedback(input).flatMap((item) => (item.kind === 'feedback' ? classify(item.message).decisions : []));
}

/** Wraps a bare SES message the way SNS delivers it to an SQS queue (raw delivery off). */
export function snsEnvelope(sesMessage: string, messageId = 'b7f0c3d2-0000-4000-8000-000000000001'): string {
  return JSON.stringify({
    Type: 'Notification',
    MessageId: messageId,
    TopicArn: 'arn:aws:sns:us-east-1:123456789012:ses-feedback',
    Subject: 'Amazon SES Email Event Notification',
    Message: sesMessage,
    Timestamp: '2026-11-23T09:00:00.000Z',
    SignatureVersion: '1',
    Signature: 'EXAMPLE',
  });
}
