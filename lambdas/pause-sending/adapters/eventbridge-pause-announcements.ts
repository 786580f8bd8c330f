import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CONFIGURATION_SET_PAUSED_EVENT, type ConfigurationSetPausedDetail } from '../../shared/events.js';
import type { PauseAnnouncements, PauseRecord } from '../guardrail.js';

/** {@link PauseAnnouncements} as one "Configuration Set Paused" EventBridge event per pause; throws if EventBridge refuses it. */
export class EventBridgePauseAnnouncements implements PauseAnnouncements {
  public constructor(
    private readonly client: EventBridgeClient,
    private readonly eventBusName: string,
  ) {}

  public async announcePause(pause: PauseRecord): Promise<void> {
    const detail: ConfigurationSetPausedDetail = {
      configurationSet: pause.configurationSet,
      alarmName: pause.alarmName,
      metric: pause.metric,
      threshold: pause.threshold,
      rate: pause.rate,
      pausedAt: pause.at,
    };
    const { FailedEntryCount = 0, Entries = [] } = await this.client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: this.eventBusName,
            Source: CONFIGURATION_SET_PAUSED_EVENT.source,
            DetailType: CONFIGURATION_SET_PAUSED_EVENT.detailType,
            Time: new Date(pause.at),
            Detail: JSON.stringify(detail),
          },
        ],
      }),
    );
    if (FailedEntryCount > 0) throw new Error(`EventBridge refused the Configuration Set Paused event (${Entries[0]?.ErrorCode ?? 'unknown'})`);
  }
}
