import { Token, type Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as ses from 'aws-cdk-lib/aws-ses';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { CONFIGURATION_SET_NAME_PATTERN, configurationSetName, configurationSetNamePrefix } from '../lambdas/shared/contract.js';
import { defaultPausableSets } from '../lambdas/shared/settings.js';
import { DEFAULTS } from './defaults.js';
import { type RateThresholds } from '../lambdas/shared/settings.js';

/** Properties of {@link SesFeedbackPipeline}; every one is optional. */
export interface SesFeedbackPipelineProps {
  /**
   * Short names of the configuration sets this construct creates, with reputation metrics on,
   * account-level suppression for bounces and complaints, and the feedback event destination.
   * Each one's SES name is {@link configurationSetNamePrefix} followed by the short name.
   *
   * @default ['transactional', 'marketing']
   */
  readonly managedConfigurationSetNames?: string[];
  /**
   * Put before each short name to make the SES name of a managed configuration set. SES names are
   * unique per account and region: the stack's name keeps a second stack (staging beside
   * production) and sets the account already has out of the way. `''` uses the short names as
   * they are.
   *
   * @default - the stack's name and a hyphen (`SesFeedbackPipeline-marketing`)
   */
  readonly configurationSetNamePrefix?: string;
  /**
   * Configuration sets that already exist in the account, by name; each gets the feedback event
   * destination (it must have fewer than 10 destinations already). Not alarmed per set: their
   * reputation metrics may be off.
   *
   * @default []
   */
  readonly existingConfigurationSetNames?: string[];
  /**
   * SES events sent to the pipeline. BOUNCE and COMPLAINT are required; add DELIVERY to reset the
   * soft-bounce count on a delivery (one more event, and one more DynamoDB write, per message sent).
   *
   * @default [EmailSendingEvent.BOUNCE, EmailSendingEvent.COMPLAINT, EmailSendingEvent.DELIVERY_DELAY, EmailSendingEvent.REJECT]
   */
  readonly eventTypes?: ses.EmailSendingEvent[];
  /**
   * Bounce-rate alarm thresholds (fractions), account-wide and per managed configuration set.
   *
   * @default { warning: 0.03, critical: 0.05 }
   */
  readonly bounceRateThresholds?: RateThresholds;
  /**
   * Complaint-rate alarm thresholds (fractions), account-wide and per managed configuration set.
   *
   * @default { warning: 0.0008, critical: 0.001 }
   */
  readonly complaintRateThresholds?: RateThresholds;
  /**
   * Provider blocks in 15 minutes, all configuration sets together, that raise the ProviderBlocks
   * alarm. A provider block is a bounce SES did not mark Permanent whose DSN status is 5.7.x: the
   * recipient's provider refused the sender (spam filter, block list, rate limit, DMARC). A
   * healthy sender sees a handful a day, each from one recipient's own filter; a provider that
   * blocks the sender refuses every message to its users, hundreds in 15 minutes at campaign
   * volume. 25 pages on such a wave within one period and stays quiet on the scattered ones;
   * raise it if you send millions a day.
   *
   * @default 25
   */
  readonly providerBlockAlarmThreshold?: number;
  /**
   * Configuration sets the guardrail may pause when their critical reputation alarm (or an
   * account-wide one) goes to ALARM: short names of managed sets, or names of existing sets (which
   * pause on the account-wide alarms only: they have no alarm of their own). `[]` turns the
   * guardrail off. When omitted: every managed set except `transactional` (password resets and
   * receipts keep flowing), which with the default sets is `['marketing']`.
   *
   * @default ['marketing']
   */
  readonly pausableConfigurationSetNames?: string[];
  /**
   * Email addresses subscribed to the alert topic (each must confirm the subscription). Alarms go
   * to the alert topic either way; subscribe to it as you like.
   *
   * @default []
   */
  readonly alertEmails?: string[];
  /**
   * Consecutive soft bounces (no delivery in between) that suppress an address; 0 turns this off.
   *
   * @default 5
   */
  readonly softBounceThreshold?: number;
  /**
   * The soft bounces that count must fall within this window of the newest one.
   *
   * @default Duration.days(30)
   */
  readonly softBounceWindow?: Duration;
  /**
   * How long an address stays on the suppression list when its soft bounces escalated (a full
   * mailbox comes back; hard bounces and complaints stay for good). When it ends, the writer takes
   * the address off the list, unless it has hard bounced or complained since, records that and puts
   * an "Address Unsuppressed" event. `Duration.days(0)` keeps such addresses for good.
   *
   * @default Duration.days(30)
   */
  readonly softBounceSuppressionPeriod?: Duration;
  /**
   * How long event records stay in the audit trail (DynamoDB TTL from the event time).
   *
   * @default Duration.days(365)
   */
  readonly eventRetention?: Duration;
  /**
   * What happens to the table, the keys and the import bucket when the stack is deleted.
   * With DESTROY the import bucket is emptied first (a custom resource deletes its objects).
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Existing SNS topics (identity feedback notifications) whose messages the pipeline also processes.
   *
   * A topic may be in another account or region (`sns.Topic.fromTopicArn`): the queue policy lets
   * SNS deliver from each topic's ARN, with the regional SNS principal an opt-in region needs when
   * the stack has an env, and the subscription is made in the topic's region. A topic of another
   * account needs {@link feedbackTopicSubscribePolicy} on its policy first, in its owner's stack
   * (docs/deploy.md). An encrypted topic needs nothing from the pipeline: SNS decrypts before it
   * delivers. Synth fails on a topic listed twice, or one in an opt-in region in a stack without
   * a region.
   *
   * @default []
   */
  readonly additionalFeedbackTopics?: sns.ITopic[];
  /**
   * The message tag that names a campaign; the audit trail records its value with each event.
   *
   * @default 'campaign'
   */
  readonly campaignTagName?: string;
  /**
   * Receives of one message before it moves to the dead-letter queue.
   *
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * How long the suppression writer gathers addresses before writing them: the longest a trickle
   * waits, and what lets a flood become a few import jobs. 1 second to 5 minutes.
   *
   * @default Duration.seconds(20)
   */
  readonly suppressionBatchingWindow?: Duration;
  /**
   * From this many addresses in one writer batch, one SES import job replaces single
   * PutSuppressedDestination calls.
   *
   * @default 25
   */
  readonly importThreshold?: number;
  /**
   * Import files (addresses in clear) are deleted from the import bucket this long after they are written.
   *
   * @default Duration.days(14)
   */
  readonly importFileRetention?: Duration;
  /**
   * Where the writer puts an "Address Suppressed" event (source `ses-feedback-pipeline`) for each
   * address SES accepted onto the suppression list, for the user's own systems to unsubscribe it.
   *
   * @default - the account's default event bus
   */
  readonly suppressionEventBus?: events.IEventBus;
  /**
   * How often the reputation watcher reads the account's enforcement status and reputation rates
   * (one SES GetAccount call each time). 5 minutes to 1 hour.
   *
   * @default Duration.minutes(15)
   */
  readonly reputationWatchInterval?: Duration;
}

/** The props with every default applied. */
export type ResolvedProps = Required<Omit<SesFeedbackPipelineProps, 'suppressionEventBus'>>;

/** Applies defaults (user values win) and validates early, with the bad value in the message. */
export function resolveProps(props: SesFeedbackPipelineProps, stackName: string): ResolvedProps {
  const config: ResolvedProps = {
    managedConfigurationSetNames: props.managedConfigurationSetNames ?? [...DEFAULTS.managedConfigurationSetNames],
    configurationSetNamePrefix: props.configurationSetNamePrefix ?? configurationSetNamePrefix(stackName),
    existingConfigurationSetNames: props.existingConfigurationSetNames ?? [...DEFAULTS.existingConfigurationSetNames],
    eventTypes: props.eventTypes ?? [...DEFAULTS.eventTypes],
    bounceRateThresholds: props.bounceRateThresholds ?? DEFAULTS.bounceRateThresholds,
    complaintRateThresholds: props.complaintRateThresholds ?? DEFAULTS.complaintRateThresholds,
    alertEmails: props.alertEmails ?? [...DEFAULTS.alertEmails],
    softBounceThreshold: props.softBounceThreshold ?? DEFAULTS.softBounceThreshold,
    providerBlockAlarmThreshold: props.providerBlockAlarmThreshold ?? DEFAULTS.providerBlockAlarmThreshold,
    pausableConfigurationSetNames: props.pausableConfigurationSetNames ?? defaultPausableSets(props.managedConfigurationSetNames ?? DEFAULTS.managedConfigurationSetNames),
    softBounceWindow: props.softBounceWindow ?? DEFAULTS.softBounceWindow,
    softBounceSuppressionPeriod: props.softBounceSuppressionPeriod ?? DEFAULTS.softBounceSuppressionPeriod,
    eventRetention: props.eventRetention ?? DEFAULTS.eventRetention,
    removalPolicy: props.removalPolicy ?? DEFAULTS.removalPolicy,
    additionalFeedbackTopics: props.additionalFeedbackTopics ?? [],
    campaignTagName: props.campaignTagName ?? DEFAULTS.campaignTagName,
    maxReceiveCount: props.maxReceiveCount ?? DEFAULTS.maxReceiveCount,
    suppressionBatchingWindow: props.suppressionBatchingWindow ?? DEFAULTS.suppressionBatchingWindow,
    importThreshold: props.importThreshold ?? DEFAULTS.importThreshold,
    importFileRetention: props.importFileRetention ?? DEFAULTS.importFileRetention,
    reputationWatchInterval: props.reputationWatchInterval ?? DEFAULTS.reputationWatchInterval,
  };
  const watchMinutes = config.reputationWatchInterval.toMinutes({ integral: false });
  if (watchMinutes < 5 || watchMinutes > 60) throw new Error(`reputationWatchInterval must be 5 minutes to 1 hour, got ${watchMinutes} minutes`);
  const prefix = config.configurationSetNamePrefix;
  const named = [
    ...config.managedConfigurationSetNames.map((short) => ({ name: configurationSetName(prefix, short), from: prefix === '' ? '' : ` (configurationSetNamePrefix '${prefix}' + '${short}')` })),
    ...config.existingConfigurationSetNames.map((name) => ({ name, from: '' })),
  ];
  for (const { name, from } of named) {
    // A prefix or name that is a token (a parameter, an import) is known only at deploy time.
    if (!Token.isUnresolved(name) && !CONFIGURATION_SET_NAME_PATTERN.test(name)) {
      throw new Error(`configuration set name must be 1-64 letters, digits, '_' or '-', got '${name}'${from}`);
    }
  }
  const names = named.map(({ name }) => name);
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate !== undefined) throw new Error(`configuration set '${duplicate}' is named twice`);
  for (const required of [ses.EmailSendingEvent.BOUNCE, ses.EmailSendingEvent.COMPLAINT]) {
    if (!config.eventTypes.includes(required)) {
      throw new Error(`eventTypes must include ${required}, got [${config.eventTypes.join(', ')}]`);
    }
  }
  for (const [label, t] of [['bounce', config.bounceRateThresholds], ['complaint', config.complaintRateThresholds]] as const) {
    if (!(t.warning > 0 && t.warning < t.critical && t.critical < 1)) {
      throw new Error(`${label} rate thresholds must satisfy 0 < warning < critical < 1 (fractions), got warning ${t.warning}, critical ${t.critical}`);
    }
  }
  if (!Number.isInteger(config.softBounceThreshold) || config.softBounceThreshold < 0) {
    throw new Error(`softBounceThreshold must be a whole number >= 0, got ${config.softBounceThreshold}`);
  }
  for (const name of config.pausableConfigurationSetNames) {
    if (!config.managedConfigurationSetNames.includes(name) && !config.existingConfigurationSetNames.includes(name)) {
      throw new Error(`pausableConfigurationSetNames: '${name}' is neither a managed configuration set (short name) nor an existing one`);
    }
  }
  if (!Number.isInteger(config.providerBlockAlarmThreshold) || config.providerBlockAlarmThreshold < 1) {
    throw new Error(`providerBlockAlarmThreshold must be a whole number >= 1, got ${config.providerBlockAlarmThreshold}`);
  }
  if (config.softBounceWindow.toHours() < 24) {
    throw new Error(`softBounceWindow must be at least 1 day, got ${config.softBounceWindow.toHumanString()}`);
  }
  const period = config.softBounceSuppressionPeriod.toHours({ integral: false });
  if (period !== 0 && period < 24) {
    throw new Error(`softBounceSuppressionPeriod must be 0 (for good) or at least 1 day, got ${config.softBounceSuppressionPeriod.toHumanString()}`);
  }
  if (config.eventRetention.toDays() < 1) {
    throw new Error(`eventRetention must be at least 1 day, got ${config.eventRetention.toHumanString()}`);
  }
  if (!Number.isInteger(config.maxReceiveCount) || config.maxReceiveCount < 1 || config.maxReceiveCount > 1000) {
    throw new Error(`maxReceiveCount must be a whole number from 1 to 1000, got ${config.maxReceiveCount}`);
  }
  const window = config.suppressionBatchingWindow.toSeconds();
  if (!(window >= 1 && window <= 300)) {
    throw new Error(`suppressionBatchingWindow must be 1 second to 5 minutes (SQS's limit), got ${config.suppressionBatchingWindow.toHumanString()}`);
  }
  if (!Number.isInteger(config.importThreshold) || config.importThreshold < 1) {
    throw new Error(`importThreshold must be a whole number >= 1, got ${config.importThreshold}`);
  }
  if (config.importFileRetention.toDays() < 1) {
    throw new Error(`importFileRetention must be at least 1 day, got ${config.importFileRetention.toHumanString()}`);
  }
  for (const email of config.alertEmails) {
    if (!Token.isUnresolved(email) && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
      throw new Error(`alert email is not an email address: '${email}'`);
    }
  }
  return config;
}
