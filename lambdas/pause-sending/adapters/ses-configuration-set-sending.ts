import { GetConfigurationSetCommand, PutConfigurationSetSendingOptionsCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import type { ConfigurationSetSending } from '../guardrail.js';
import { SesPacer } from '../../shared/adapters/ses-pacer.js';

/**
 * {@link ConfigurationSetSending} on SESv2: `GetConfigurationSet` reads `SendingOptions.SendingEnabled`
 * (absent means enabled: SES's default), `PutConfigurationSetSendingOptions` switches it. Both are
 * non-send actions, paced within SES's ~1 request/s.
 */
export class SesConfigurationSetSending implements ConfigurationSetSending {
  public constructor(
    private readonly ses: SESv2Client,
    private readonly pacer: SesPacer = new SesPacer(),
  ) {}

  public async isSending(configurationSet: string): Promise<boolean> {
    const set = await this.pacer.run(() => this.ses.send(new GetConfigurationSetCommand({ ConfigurationSetName: configurationSet })));
    return set.SendingOptions?.SendingEnabled ?? true;
  }

  public async setSending(configurationSet: string, enabled: boolean): Promise<void> {
    await this.pacer.run(() => this.ses.send(new PutConfigurationSetSendingOptionsCommand({ ConfigurationSetName: configurationSet, SendingEnabled: enabled })));
  }
}
