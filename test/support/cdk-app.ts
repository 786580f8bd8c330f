import { App } from 'aws-cdk-lib';

/**
 * A CDK app that synthesizes without bundling the functions (`aws:cdk:bundling-stacks` empty):
 * for tests that read templates, not the functions' code, which no prop and no policy depends on.
 * test/infra/pipeline.test.ts ("function bundles") bundles for real.
 */
export function appWithoutBundling(): App {
  return new App({ context: { 'aws:cdk:bundling-stacks': [] } });
}

/** `count` configuration set names, `stream001`, `stream002`, ...: the many streams of a large sender. */
export function streams(count: number, prefix = 'stream'): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${String(i + 1).padStart(3, '0')}`);
}
