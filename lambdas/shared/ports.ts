import type { ImportJobRef, SuppressionEntry, SuppressionMessage } from './suppression.js';

/** The writer's own queue: its next look at a job, rows to retry, and work handed back for a later run. */
export interface SuppressionQueue {
  followImport(job: ImportJobRef, attempt: number, polls: number, delaySeconds: number): Promise<void>;
  /** @param request the operator's request the rows are of */
  retry(entries: readonly SuppressionEntry[], attempt: number, request?: string): Promise<void>;
  /** Temporary suppressions whose escalation a delivery withdrew while an import job was writing them. */
  withdraw(addresses: readonly string[], attempt?: number): Promise<void>;
  /** Addresses whose COMPLAINT an import job's BOUNCE may have overwritten at SES. */
  restore(addresses: readonly string[]): Promise<void>;
  /** Messages back on the queue as new ones (their receives start again), after a delay. */
  requeue(messages: readonly SuppressionMessage[], delaySeconds: number): Promise<void>;
}

/** Where the feedback processor hands over addresses to suppress. */
export interface SuppressionRequests {
  request(entries: readonly SuppressionEntry[]): Promise<void>;
  /** Addresses whose escalation a late delivery withdrew: their temporary suppression is to end now. */
  withdraw(addresses: readonly string[]): Promise<void>;
}

/** Where records go that no retry can fix, with the reason next to them. */
export interface DeadLetters {
  /** @param reason one line, addresses masked: what a human reads to fix it */
  park(body: string, reason: string, sourceMessageId: string): Promise<void>;
}

/** The team's alert channel. */
export interface AlertNotifier {
  notify(subject: string, message: string): Promise<void>;
}
