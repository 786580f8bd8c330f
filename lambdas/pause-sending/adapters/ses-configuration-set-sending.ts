import { GetConfigurationSetCommand, ListConfigurationSetsCommand, PutConfigurationSetSendingOptionsCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import type { ConfigurationSetSending, ConfigurationSetState } from '../guardrail.js';
import { SesPacer } from '../../shared/adapters/ses-pacer.js';

/**
 * {@link ConfigurationSetSending} on SESv2: `GetConfigurationSet` reads `SendingOptions.SendingEnabled`
 * (absent means enabled: SES's default) and the set's tags, `PutConfigurationSetSendingOptions`
 * switches it, `ListConfigurationSets` pages through the account's sets. All are non-send actions,
 * paced within SES's ~1 request/s.
 */
export class SesConfigurationSetSending implements ConfigurationSetSending {
  public constructor(
    private readonly ses: SESv2Client,
    private readonly pacer: SesPacer = new SesPacer(),
  ) {}

  public async listNames(): Promise<string[]> {
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.pacer.run(() => this.ses.send(new ListConfigurationSetsCommand({ NextToken: token })));
      names.push(...(page.ConfigurationSets ?? []));
      token = page.NextToken;
    } while (token);
    return names;
  }

  public async describe(configurationSet: string): Promise<ConfigurationSetState> {
    const set = await this.pacer.run(() => this.ses.send(new GetConfigurationSetCommand({ ConfigurationSetName: configurationSet })));
    return { sending: set.SendingOptions?.SendingEnabled ?? true, tags: Object.fromEntries((set.Tags ?? []).map((t): [string, string] => [t.Key ?? '', t.Value ?? ''])) };
  }

  public async setSending(configurationSet: string, enabled: boolean): Promise<void> {
    await this.pacer.run(() => this.ses.send(new PutConfigurationSetSendingOptionsCommand({ ConfigurationSetName: configurationSet, SendingEnabled: enabled })));
  }
}
