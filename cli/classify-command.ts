import { classify, describeRefusal, type Decision } from '../lambdas/process-feedback/classify.js';
import { readFeedback, type FeedbackInput } from '../lambdas/process-feedback/envelope.js';

/** One line of `ses-feedback classify` output. */
export interface DecisionLine {
  readonly address: string;
  readonly action: Decision['action'];
  readonly reason: Decision['reason'];
  readonly eventType: string;
  readonly messageId: string;
  readonly rule: Decision['rule'];
  readonly eventAt: string;
  readonly configurationSet: string | null;
}

export interface ClassifyResult {
  readonly decisions: DecisionLine[];
  /**
   * One-line errors, each naming the input line when the input is JSON lines: input that cannot be
   * read, and recipients that cannot be decided (masked), whose message's other recipients are.
   */
  readonly errors: string[];
}

/**
 * What the pipeline would decide for the given input, offline.
 *
 * The input is one JSON document (any supported envelope, a Lambda event with many records) or
 * JSON lines, one message per line. It is read as JSON lines only when the whole text is not one
 * JSON document: a pretty-printed document that is refused gets its own one reason, not one per line.
 */
export function classifyText(text: string): ClassifyResult {
  const decisions: DecisionLine[] = [];
  const errors: string[] = [];
  const take = (items: FeedbackInput[], where: string): void => {
    for (const item of items) {
      if (item.kind !== 'feedback') continue;
      const configurationSet = item.message.mail.tags?.['ses:configuration-set']?.[0] ?? null;
      const { decisions: decided, refused } = classify(item.message);
      for (const d of decided) {
        decisions.push({
          address: d.address,
          action: d.action,
          reason: d.reason,
          eventType: d.eventType,
          messageId: d.messageId,
          rule: d.rule,
          eventAt: d.eventAt,
          configurationSet,
        });
      }
      for (const r of refused) errors.push(`${where}${describeRefusal(r, item.message.eventType)}`);
    }
  };

  if (text.trim() === '') return { decisions, errors: ['input is empty'] };
  const lines = text.split(/\r?\n/);
  if (isOneJsonDocument(text) || lines.filter((line) => line.trim() !== '').length < 2) {
    try {
      take(readFeedback(text), '');
    } catch (error) {
      errors.push((error as Error).message);
    }
    return { decisions, errors };
  }
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    try {
      take(readFeedback(line), `line ${index + 1}: `);
    } catch (error) {
      errors.push(`line ${index + 1}: ${(error as Error).message}`);
    }
  });
  return { decisions, errors };
}

function isOneJsonDocument(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
