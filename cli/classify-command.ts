import { classify, readFeedback, type Decision, type FeedbackInput } from '../lambdas/domain/index.js';

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
  /** One-line errors, each naming the input line when the input is JSON lines. */
  readonly errors: string[];
}

/**
 * What the pipeline would decide for the given input, offline.
 *
 * The input is one JSON document (any supported envelope, a Lambda event with many records) or
 * JSON lines, one message per line.
 */
export function classifyText(text: string): ClassifyResult {
  const decisions: DecisionLine[] = [];
  const errors: string[] = [];
  const take = (items: FeedbackInput[]): void => {
    for (const item of items) {
      if (item.kind !== 'feedback') continue;
      const configurationSet = item.message.mail.tags?.['ses:configuration-set']?.[0] ?? null;
      for (const d of classify(item.message)) {
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
    }
  };

  if (text.trim() === '') return { decisions, errors: ['input is empty'] };
  try {
    take(readFeedback(text));
    return { decisions, errors };
  } catch (wholeError) {
    const lines = text.split(/\r?\n/);
    const nonEmpty = lines.filter((line) => line.trim() !== '');
    if (nonEmpty.length < 2) return { decisions, errors: [(wholeError as Error).message] };
    lines.forEach((line, index) => {
      if (line.trim() === '') return;
      try {
        take(readFeedback(line));
      } catch (error) {
        errors.push(`line ${index + 1}: ${(error as Error).message}`);
      }
    });
    return { decisions, errors };
  }
}
