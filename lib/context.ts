import { Duration } from 'aws-cdk-lib';
import { EmailSendingEvent } from 'aws-cdk-lib/aws-ses';
import { DEFAULTS, toRemovalPolicy } from './defaults.js';
import { type RateThresholds } from '../lambdas/shared/settings.js';
import type { SesFeedbackPipelineProps } from './pipeline-props.js';

/**
 * Context keys the app reads (cdk.json `context`, or `-c key=value`). Lists are comma-separated.
 */
export const CONTEXT_KEYS = [
  'alertEmails',
  'managedConfigurationSets',
  'configurationSetNamePrefix',
  'existingConfigurationSets',
  'includeDeliveryEvents',
  'bounceRateWarning',
  'bounceRateCritical',
  'complaintRateWarning',
  'complaintRateCritical',
  'softBounceThreshold',
  'softBounceWindowDays',
  'softBounceSuppressionDays',
  'providerBlockAlarmThreshold',
  'eventRetentionDays',
  'campaignTagName',
  'removalPolicy',
  'suppressionBatchingWindowSeconds',
  'importThreshold',
  'pausableConfigurationSets',
] as const;

type Lookup = (key: string) => unknown;

/** A context value as the user typed it, for error messages. */
const show = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/**
 * Reads the pipeline's props from CDK context; keys left unset keep the construct's defaults.
 *
 * @throws Error naming the key and the bad value
 */
export function pipelinePropsFromContext(get: Lookup): SesFeedbackPipelineProps {
  const list = (key: string): string[] | undefined => {
    const value = get(key);
    if (value === undefined) return undefined;
    if (Array.isArray(value)) return value.map(show);
    return show(value).split(',').map((s) => s.trim()).filter(Boolean);
  };
  const number = (key: string): number | undefined => {
    const value = get(key);
    if (value === undefined) return undefined;
    const n = Number(value);
    if (value === '' || !Number.isFinite(n)) throw new Error(`context ${key} must be a number, got '${show(value)}'`);
    return n;
  };
  const bool = (key: string): boolean | undefined => {
    const value = get(key);
    if (value === undefined) return undefined;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    throw new Error(`context ${key} must be true or false, got '${show(value)}'`);
  };
  const thresholds = (warningKey: string, criticalKey: string, defaults: RateThresholds): RateThresholds | undefined => {
    const warning = number(warningKey);
    const critical = number(criticalKey);
    if (warning === undefined && critical === undefined) return undefined;
    return { warning: warning ?? defaults.warning, critical: critical ?? defaults.critical };
  };
  const removal = get('removalPolicy');
  if (removal !== undefined && removal !== 'retain' && removal !== 'destroy') {
    throw new Error(`context removalPolicy must be 'retain' or 'destroy', got '${show(removal)}'`);
  }
  const softBounceWindowDays = number('softBounceWindowDays');
  const softBounceSuppressionDays = number('softBounceSuppressionDays');
  const eventRetentionDays = number('eventRetentionDays');
  const campaignTagName = get('campaignTagName');
  const prefix = get('configurationSetNamePrefix');
  const batchingWindowSeconds = number('suppressionBatchingWindowSeconds');

  return {
    alertEmails: list('alertEmails'),
    managedConfigurationSetNames: list('managedConfigurationSets'),
    // `-c configurationSetNamePrefix=` (empty) keeps the short names as the SES names.
    configurationSetNamePrefix: prefix === undefined ? undefined : show(prefix),
    existingConfigurationSetNames: list('existingConfigurationSets'),
    eventTypes: bool('includeDeliveryEvents')
      ? [EmailSendingEvent.BOUNCE, EmailSendingEvent.COMPLAINT, EmailSendingEvent.DELIVERY, EmailSendingEvent.DELIVERY_DELAY, EmailSendingEvent.REJECT]
      : undefined,
    bounceRateThresholds: thresholds('bounceRateWarning', 'bounceRateCritical', DEFAULTS.bounceRateThresholds),
    complaintRateThresholds: thresholds('complaintRateWarning', 'complaintRateCritical', DEFAULTS.complaintRateThresholds),
    softBounceThreshold: number('softBounceThreshold'),
    providerBlockAlarmThreshold: number('providerBlockAlarmThreshold'),
    // `none` turns the guardrail off (an empty -c value cannot be told from an absent one).
    pausableConfigurationSetNames: get('pausableConfigurationSets') === 'none' ? [] : list('pausableConfigurationSets'),
    softBounceWindow: softBounceWindowDays === undefined ? undefined : Duration.days(softBounceWindowDays),
    softBounceSuppressionPeriod: softBounceSuppressionDays === undefined ? undefined : Duration.days(softBounceSuppressionDays),
    eventRetention: eventRetentionDays === undefined ? undefined : Duration.days(eventRetentionDays),
    campaignTagName: campaignTagName === undefined ? undefined : show(campaignTagName),
    removalPolicy: removal === undefined ? undefined : toRemovalPolicy(removal),
    suppressionBatchingWindow: batchingWindowSeconds === undefined ? undefined : Duration.seconds(batchingWindowSeconds),
    importThreshold: number('importThreshold'),
  };
}
