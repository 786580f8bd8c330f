import type { Logger } from '@aws-lambda-powertools/logger';
import { applyGuardrail, reapplyPauses, readGuardrailEvent, type GuardrailOutcome, type GuardrailPorts, type GuardrailSettings, type ReapplyOutcome } from './guardrail.js';
import { redactAddresses } from '../shared/address.js';

export interface PauseSendingDependencies {
  readonly settings: GuardrailSettings;
  readonly ports: GuardrailPorts;
  readonly logger: Logger;
}

/**
 * The guardrail's EventBridge handler. A critical alarm's (or contributor's) change to ALARM: the
 * configuration sets it watches paused (only pausable ones), recorded and announced. A finished
 * deploy of the stack: the sets it recorded paused are paused again should the deploy have turned
 * them on. A failure is alerted and thrown, so Lambda's asynchronous retries try again.
 */
export function createPauseSendingHandler(deps: PauseSendingDependencies) {
  const { settings, ports, logger } = deps;
  return async (event: unknown): Promise<GuardrailOutcome | ReapplyOutcome> => {
    const woken = readGuardrailEvent(event);
    if (woken.kind === 'deploy') {
      try {
        const outcome = await reapplyPauses(woken.deploy, settings, ports);
        logger.info('pauses re-applied after a deploy', { status: woken.deploy.status, repaused: outcome.repaused, stillPaused: outcome.stillPaused });
        return outcome;
      } catch (error) {
        logger.error('re-applying the pauses failed; Lambda retries the event', { status: woken.deploy.status, reason: redactAddresses(error instanceof Error ? error.message : String(error)) });
        throw error;
      }
    }
    const change = woken.change;
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
