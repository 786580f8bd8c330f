import { readFileSync } from 'node:fs';
import { SES_OPERATIONS, sesOperationOf } from '../../local/ses-server.js';

/**
 * The local SES endpoint routes each operation as the SDK in the lock file sends it: the HTTP
 * method and path of each operation are read from `@aws-sdk/client-sesv2`'s own model (its
 * `[_h]: [method, path, status]` bindings), not written here. A model change (as when
 * ListConfigurationSets moved from `GET /v2/email/configuration-sets` to
 * `POST /v2/email/list-configuration-sets`) fails this test instead of a run on AWS.
 */
const model = readFileSync(require.resolve('@aws-sdk/client-sesv2'), 'utf8');

function bindingOf(operation: string): { method: string; path: string } {
  const match = new RegExp(`var ${operation}\\$ = \\[[^\\]]*?\\{ \\[_h\\]: \\["(\\w+)", "([^"]+)", \\d+\\] \\}`).exec(model);
  if (!match) throw new Error(`no HTTP binding for ${operation} in @aws-sdk/client-sesv2`);
  return { method: match[1] ?? '', path: match[2] ?? '' };
}

describe('the local SES endpoint speaks the SDK model', () => {
  it.each(SES_OPERATIONS)('routes %s by its binding in @aws-sdk/client-sesv2', (operation) => {
    const { method, path } = bindingOf(operation);
    // Labels filled as the SDK fills them (URI-encoded).
    const concrete = path.replace(/\{[^}]+\}/g, encodeURIComponent('reader+1@example.com'));
    expect(sesOperationOf(method, concrete)).toBe(operation);
  });
});
