import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import { EmailSendingEvent } from 'aws-cdk-lib/aws-ses';
import * as ts from 'typescript';
import { SesFeedbackPipeline } from '../../lib/ses-feedback-pipeline.js';
import { type SesFeedbackPipelineProps } from '../../lib/pipeline-props.js';
import { resolveProps } from '../../lib/pipeline-props.js';
import { appWithoutBundling } from '../support/cdk-app.js';

/**
 * Every `@default` in the TSDoc of SesFeedbackPipelineProps is what the construct applies when the
 * prop is omitted, read from the source with the TypeScript compiler and checked two ways: against
 * resolveProps, and by synthesizing the stack with the documented value given explicitly, which
 * must make the same template as leaving the prop out.
 *
 * A `@default` is either an expression (a number, string, array or object literal,
 * `Duration.days(30)`, `RemovalPolicy.RETAIN`, `EmailSendingEvent.BOUNCE`) or, after `- `, words
 * for a value that depends on the stack; each of those has its meaning spelled out in
 * `DESCRIBED_DEFAULTS` below.
 */

const PROPS_FILE = path.join(__dirname, '..', '..', 'lib', 'pipeline-props.ts');
const STACK_NAME = 'Documented';

interface DocumentedProp {
  readonly name: keyof SesFeedbackPipelineProps;
  readonly optional: boolean;
  /** The `@default` tag's text, if there is one. */
  readonly documented?: string;
}

/** The props of SesFeedbackPipelineProps with their `@default`, as written in the source. */
function documentedProps(): DocumentedProp[] {
  const source = ts.createSourceFile(PROPS_FILE, readFileSync(PROPS_FILE, 'utf8'), ts.ScriptTarget.Latest, true);
  const props = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === 'SesFeedbackPipelineProps');
  if (props === undefined) throw new Error(`no interface SesFeedbackPipelineProps in ${PROPS_FILE}`);
  return props.members.filter(ts.isPropertySignature).map((member) => {
    const tag = ts.getJSDocTags(member).find((t) => t.tagName.text === 'default');
    return {
      name: member.name.getText(source) as keyof SesFeedbackPipelineProps,
      optional: member.questionToken !== undefined,
      documented: tag === undefined ? undefined : ts.getTextOfJSDocComment(tag.comment)?.trim(),
    };
  });
}

/** What a `@default` may name besides literals: Duration's factories and the members of these enums. */
const ENUMS: Record<string, Record<string, string>> = { RemovalPolicy, EmailSendingEvent };
const DURATION_FACTORIES = ['millis', 'seconds', 'minutes', 'hours', 'days'] as const;

/** The value of a `@default` expression; throws on anything it does not know how to read. */
function evaluate(text: string): unknown {
  const code = `(${text});`;
  const syntaxErrors = ts.transpileModule(code, { reportDiagnostics: true }).diagnostics ?? [];
  const source = ts.createSourceFile('default.ts', code, ts.ScriptTarget.Latest, true);
  const [statement, ...more] = source.statements;
  if (syntaxErrors.length > 0 || more.length > 0 || statement === undefined || !ts.isExpressionStatement(statement) || !ts.isParenthesizedExpression(statement.expression)) {
    throw new Error(`@default '${text}' is not one expression`);
  }
  const value = (node: ts.Expression): unknown => {
    if (ts.isNumericLiteral(node)) return Number(node.text);
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
    if (node.kind === ts.SyntaxKind.TrueKeyword) return true;
    if (node.kind === ts.SyntaxKind.FalseKeyword) return false;
    if (ts.isArrayLiteralExpression(node)) return node.elements.map(value);
    if (ts.isObjectLiteralExpression(node)) {
      return Object.fromEntries(
        node.properties.map((p) => {
          if (!ts.isPropertyAssignment(p) || !(ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) throw new Error(`@default '${text}': cannot read '${p.getText(source)}'`);
          return [p.name.text, value(p.initializer)];
        }),
      );
    }
    if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression)) {
      const member = ENUMS[node.expression.text]?.[node.name.text];
      if (member === undefined) throw new Error(`@default '${text}': no such member '${node.getText(source)}'`);
      return member;
    }
    const callee = ts.isCallExpression(node) ? node.expression : undefined;
    if (ts.isCallExpression(node) && callee !== undefined && ts.isPropertyAccessExpression(callee) && callee.expression.getText(source) === 'Duration') {
      const factory = DURATION_FACTORIES.find((f) => f === callee.name.text);
      const [amount, ...rest] = node.arguments.map(value);
      if (factory === undefined || typeof amount !== 'number' || rest.length > 0) throw new Error(`@default '${text}': not a Duration factory with one number`);
      return Duration[factory](amount);
    }
    throw new Error(`@default '${text}': cannot read '${node.getText(source)}' (write a literal, Duration.x(n), an enum member, or '- ' and words)`);
  };
  return value(statement.expression.expression);
}

/**
 * The value each worded `@default` (one that starts with `- `) describes, in the stack the
 * pipeline is in. A worded default without an entry here fails the test.
 */
const DESCRIBED_DEFAULTS: Partial<Record<keyof SesFeedbackPipelineProps, (stack: Stack) => unknown>> = {
  configurationSetNamePrefix: (stack) => `${stack.stackName}-`,
  suppressionEventBus: (stack) => events.EventBus.fromEventBusName(stack, 'AccountDefaultBus', 'default'),
};

/** The value a prop's `@default` documents, in the given stack. */
function documentedValue(prop: DocumentedProp, stack: Stack): unknown {
  if (prop.documented === undefined) throw new Error(`${prop.name} has no @default`);
  if (!prop.documented.startsWith('- ')) return evaluate(prop.documented);
  const describe = DESCRIBED_DEFAULTS[prop.name];
  if (describe === undefined) throw new Error(`${prop.name}: '@default ${prop.documented}' has no entry in DESCRIBED_DEFAULTS that says what value it means`);
  return describe(stack);
}

/** A value with Durations made comparable (their length), so deep equality compares what a prop means. */
function comparable(value: unknown): unknown {
  if (value instanceof Duration) return { duration: `${value.toMilliseconds()} ms` };
  if (Array.isArray(value)) return value.map(comparable);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, comparable(v)]));
  }
  return value;
}

/** The template of the pipeline with these props (functions not bundled: their code depends on no prop). */
function synth(props: (stack: Stack) => SesFeedbackPipelineProps): unknown {
  const stack = new Stack(appWithoutBundling(), STACK_NAME);
  new SesFeedbackPipeline(stack, 'Pipeline', props(stack));
  return Template.fromStack(stack).toJSON();
}

/** Why the prop's `@default` is not what the construct applies, or undefined when it is. */
function mismatch(prop: DocumentedProp, omitted: unknown): string | undefined {
  const documented = synth((stack) => ({ [prop.name]: documentedValue(prop, stack) }));
  if (JSON.stringify(documented) !== JSON.stringify(omitted)) return `${prop.name}: giving '@default ${prop.documented}' explicitly synthesizes another template than omitting it`;
  const resolved = resolveProps({}, STACK_NAME) as Partial<Record<string, unknown>>;
  if (!(prop.name in resolved)) return undefined;
  const stack = new Stack(new App(), STACK_NAME);
  const [expected, actual] = [comparable(documentedValue(prop, stack)), comparable(resolved[prop.name])];
  if (JSON.stringify(expected) !== JSON.stringify(actual)) return `${prop.name}: documented ${JSON.stringify(expected)}, resolveProps applies ${JSON.stringify(actual)}`;
  return undefined;
}

describe('the @default of every prop of SesFeedbackPipelineProps', () => {
  const props = documentedProps();
  let omitted: unknown;
  beforeAll(() => {
    omitted = synth(() => ({}));
  });

  it('reads every prop resolveProps resolves, and the event bus it leaves to the construct, from the source', () => {
    const resolved = Object.keys(resolveProps({}, STACK_NAME));
    expect(resolved.length).toBeGreaterThan(15);
    expect(props.map((p) => p.name).sort()).toEqual([...resolved, 'suppressionEventBus'].sort());
  });

  it('documents a @default on every optional prop', () => {
    expect(props.filter((p) => p.optional && p.documented === undefined).map((p) => p.name)).toEqual([]);
  });

  it.each(props.map((p) => [p.name, p] as const))('documents what the construct applies when %s is omitted', (_name, prop) => {
    expect(mismatch(prop, omitted)).toBeUndefined();
  });

  it.each([
    ['suppressionBatchingWindow', 'Duration.seconds(30)'],
    ['softBounceThreshold', '4'],
    ['bounceRateThresholds', '{ warning: 0.03, critical: 0.06 }'],
    ['managedConfigurationSetNames', "['marketing', 'transactional']"],
    ['configurationSetNamePrefix', "'SesFeedbackPipeline-'"],
  ])('fails a wrong @default of %s (%s): the check is live', (name, wrong) => {
    const prop = props.find((p) => p.name === name);
    expect(prop).toBeDefined();
    expect(mismatch({ ...prop!, documented: wrong }, omitted)).toBe(`${name}: giving '@default ${wrong}' explicitly synthesizes another template than omitting it`);
  });

  it.each([
    ['about 20 seconds', 'is not one expression'],
    ['[] (alarms still go to the alert topic)', 'is not one expression'],
    ['5 * 60', "cannot read '5 * 60'"],
    ['DEFAULTS.softBounceThreshold', "no such member 'DEFAULTS.softBounceThreshold'"],
    ['Duration.fortnights(2)', 'not a Duration factory with one number'],
    ['RemovalPolicy.KEEP', "no such member 'RemovalPolicy.KEEP'"],
  ])('rejects a @default it cannot read: %s', (text, message) => {
    expect(() => evaluate(text)).toThrow(message);
  });

  it('fails a worded @default that says nothing the test can check', () => {
    expect(() => documentedValue({ name: 'campaignTagName', optional: true, documented: '- a sensible tag' }, new Stack(new App(), 'S'))).toThrow(
      "campaignTagName: '@default - a sensible tag' has no entry in DESCRIBED_DEFAULTS",
    );
  });

  it('reads literals, Durations and enum members as the values they write', () => {
    expect(comparable(evaluate("[{ a: 1, b: 'x' }, Duration.days(30), RemovalPolicy.RETAIN, EmailSendingEvent.BOUNCE, true]"))).toEqual([
      { a: 1, b: 'x' },
      { duration: `${30 * 86_400_000} ms` },
      'retain',
      'bounce',
      true,
    ]);
    expect(comparable(Duration.seconds(20))).not.toEqual(comparable(Duration.seconds(30)));
  });
});
