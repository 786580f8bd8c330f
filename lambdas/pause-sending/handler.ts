import type { Logger } from '@aws-lambda-powertools/logger';
import { applyGuardrail, readAlarmStateChange, type GuardrailOutcome, type GuardrailPorts, type GuardrailSettings } from './guardrail.js';
import { redactAddresses } from '../shared/address.js';

export interface PauseSendingDependencies {
  readonly settings: GuardrailSettings;
  readonly ports: GuardrailPorts;
  readonly logger: Logger;
}

/**
 * The guardrail's EventBridge handler: one "CloudWatch Alarm State Change" event in, the
 * configuration sets its critical alarm watches paused (only pausable ones), recorded and announced.
 * A failure to pause is alerted and thrown, so Lambda's asynchronous retries try again.
 */
export function createPauseSendingHandler(deps: PauseSendingDependencies) {
  const { settings, ports, logger } = deps;
  return async (event: unknown): Promise<GuardrailOutcome> => {
    const change = readAlarmStateChange(event);
    try {
      const outcome = await applyGuardrail(change, settings, ports);
      if (outcome.decision.kind === 'ignore') logger.info('alarm state change ignored', { alarmName: change.alarmName, why: outcome.decision.why });
      else logger.info('guardrail applied', { alarmName: change.alarmName, paused: outcome.paused, alreadyPaused: outcome.alreadyPaused, rate: outcome.decision.rate });
      return outcome;
    } catch (error) {
      logger.error('guardrail failed; Lambda retries the event', { alarmName: change.alarmName, reason: redactAddresses(error instanceof Error ? error.message : String(error)) });
      throw error;
    }
  };
}
