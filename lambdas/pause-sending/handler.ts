import type { Logger } from '@aws-lambda-powertools/logger';
import { applyGuardrail, reapplyPauses, readGuardrailEvent, type GuardrailOutcome, type GuardrailPorts, type GuardrailSettings, type ReapplyOutcome } from './guardrail.js';
import { checkProbations, type CriticalLines, type ProbationOutcome, type ProbationRoster, type SetReputation } from './probation.js';
import { redactAddresses } from '../shared/address.js';

export interface PauseSendingDependencies {
  readonly settings: GuardrailSettings;
  readonly ports: GuardrailPorts & { readonly roster: ProbationRoster; readonly reputation: SetReputation };
  readonly logger: Logger;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

/**
 * The guardrail's EventBridge handler. A critical alarm's (or contributor's) change to ALARM: the
 * configuration sets it watches paused (only pausable ones), recorded and announced. A finished
 * deploy of the stack: the sets it recorded paused are paused again should the deploy have turned
 * them on. The schedule's look at the sets on probation: each paused again, or its probation
 * ended, on its rates since the resume. A failure is alerted and thrown, so Lambda's asynchronous
 * retries try again.
 */
export function createPauseSendingHandler(deps: PauseSendingDependencies) {
  const { settings, ports, logger } = deps;
  return async (event: unknown): Promise<GuardrailOutcome | ReapplyOutcome | ProbationOutcome> => {
    const woken = readGuardrailEvent(event);
    if (woken.kind === 'probation-check') {
      try {
        const outcome = await checkProbations(ports, criticalLines(settings), deps.now?.() ?? new Date());
        if (outcome.paused.length + outcome.ended.length > 0) logger.info('sets on probation judged', { ...outcome });
        return outcome;
      } catch (error) {
        logger.error('judging the sets on probation failed', { reason: redactAddresses(error instanceof Error ? error.message : String(error)) });
        throw error;
      }
    }
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

/** The lines a set on probation is judged against: the lowest critical threshold of each metric's guarded alarms. */
export function criticalLines(settings: Pick<GuardrailSettings, 'alarms'>): CriticalLines {
  const line = (metric: 'bounce' | 'complaint'): number => Math.min(...settings.alarms.filter((a) => a.metric === metric).map((a) => a.threshold));
  return { bounce: line('bounce'), complaint: line('complaint') };
}
