import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { EmailSendingEvent } from 'aws-cdk-lib/aws-ses';
import { pipelinePropsFromContext } from '../../lib/context.js';

const from = (context: Record<string, unknown>) => pipelinePropsFromContext((key) => context[key]);

describe('pipelinePropsFromContext', () => {
  it('leaves every prop to the construct default when no context is set', () => {
    expect(Object.values(from({})).every((value) => value === undefined)).toBe(true);
  });

  it('reads -c flags as strings: lists, numbers, booleans, durations, removal policy', () => {
    const props = from({
      alertEmails: 'ops@example.com, oncall@example.com',
      managedConfigurationSets: 'tx,news',
      existingConfigurationSets: 'legacy',
      includeDeliveryEvents: 'true',
      bounceRateWarning: '0.02',
      softBounceThreshold: '3',
      softBounceWindowDays: '14',
      providerBlockAlarmThreshold: '100',
      eventRetentionDays: '730',
      campaignTagName: 'utm_campaign',
      removalPolicy: 'destroy',
    });
    expect(props).toMatchObject({
      alertEmails: ['ops@example.com', 'oncall@example.com'],
      managedConfigurationSetNames: ['tx', 'news'],
      existingConfigurationSetNames: ['legacy'],
      bounceRateThresholds: { warning: 0.02, critical: 0.05 },
      softBounceThreshold: 3,
      providerBlockAlarmThreshold: 100,
      campaignTagName: 'utm_campaign',
      removalPolicy: RemovalPolicy.DESTROY,
    });
    expect(props.eventTypes).toContain(EmailSendingEvent.DELIVERY);
    expect(props.softBounceWindow?.toDays()).toBe(Duration.days(14).toDays());
    expect(props.eventRetention?.toDays()).toBe(730);
  });

  it('reads the configuration set name prefix, an empty one included (the short names as they are)', () => {
    expect(from({ configurationSetNamePrefix: 'prod-' }).configurationSetNamePrefix).toBe('prod-');
    expect(from({ configurationSetNamePrefix: '' }).configurationSetNamePrefix).toBe('');
  });

  it('reads JSON lists from cdk.json', () => {
    expect(from({ alertEmails: ['a@example.com'] }).alertEmails).toEqual(['a@example.com']);
  });

  it.each([
    [{ softBounceThreshold: 'five' }, "context softBounceThreshold must be a number, got 'five'"],
    [{ providerBlockAlarmThreshold: '25/15min' }, "context providerBlockAlarmThreshold must be a number, got '25/15min'"],
    [{ includeDeliveryEvents: 'yes' }, "context includeDeliveryEvents must be true or false, got 'yes'"],
    [{ removalPolicy: 'keep' }, "context removalPolicy must be 'retain' or 'destroy', got 'keep'"],
  ])('fails on %j', (context, message) => {
    expect(() => from(context)).toThrow(message);
  });
});
