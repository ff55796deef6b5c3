/**
 * The response side of an explanation: the rules at upstream-rsp and proxy-rsp (TxnBox's names for
 * read-response and send-response), each with its source, listed as depending on the response; and,
 * given a response to assume (`--status N`, `--response-header`), each one run against it as a
 * transaction would run it (the response view is the hooks' own), with what it changed.
 */
import { stringify } from 'yaml';
import type { ResponseHead } from '../codec/index.ts';
import { configDocument, type JunctionConfig } from '../config/index.ts';
import { TXNBOX_HOOK_NAMES, type TxnHookName } from '../hooks/index.ts';
import { globalRuleSteps, type RuleStep } from './hook-steps.ts';
import type { RecordingContext } from './recording-context.ts';

/** The response explain assumes the backend gives. */
export interface AssumedResponse {
  readonly status: number;
  readonly headers: readonly (readonly [string, string])[];
}

/** One response rule: where, its source, and (when a response was assumed) what it changed. */
export interface ResponseRuleRun {
  readonly hook: string;
  readonly rule: string;
  /**
   * The rule's `do:` as the config's document holds it (YAML; a bare name reads as its template,
   * `{upstream-rsp-status}`); null when it came from an included file.
   */
  readonly source: string | null;
  /** False when no response was assumed: its conditions and changes depend on the response. */
  readonly evaluated: boolean;
  readonly changes: readonly string[];
  readonly error: string | undefined;
}

export interface ResponseSide {
  /** The response assumed (`--status`, `--response-header`); null when none was. */
  readonly assumed: AssumedResponse | null;
  readonly rules: readonly ResponseRuleRun[];
  /** The response the client would get after the rules; null when not evaluated. */
  readonly final: AssumedResponse | null;
}

export const RESPONSE_HOOKS = ['read-response', 'send-response'] as const satisfies readonly TxnHookName[];

/** Each top-level rule's `do:` at `hook`, from the config's document, in file order; [] when unknown. */
function ruleSources(config: JunctionConfig, hook: TxnHookName, count: number): (string | null)[] {
  const rules = configDocument(config)?.['rules'];
  const none = new Array<string | null>(count).fill(null);
  if (!Array.isArray(rules)) return none;
  // The document holds a bare name as its template form (`{upstream-rsp}`).
  const names = new Set<string>([hook, TXNBOX_HOOK_NAMES[hook]].flatMap((name) => [name, `{${name}}`]));
  const here = rules.filter(
    (r): r is Record<string, unknown> =>
      typeof r === 'object' && r !== null && names.has(String((r as Record<string, unknown>)['when'])),
  );
  // Rules included from other files are not in the document: positions would not line up.
  if (here.length !== count || rules.some((r) => typeof r !== 'object' || r === null || !('when' in r)))
    return none;
  return here.map((r) => stringify(r['do'], { lineWidth: 0 }).trimEnd());
}

function headOf(response: AssumedResponse): ResponseHead {
  return {
    status: response.status,
    reason: '',
    versionMinor: 1,
    headers: response.headers.flatMap(([name, value]) => [name, value]),
    bodyKind: 'none',
    contentLength: -1,
    keepAlive: true,
    connectionTokens: [],
  };
}

function stateOf(head: ResponseHead): AssumedResponse {
  const headers: [string, string][] = [];
  for (let i = 0; i < head.headers.length; i += 2) headers.push([head.headers[i]!, head.headers[i + 1]!]);
  return { status: head.status, headers };
}

/** `status: 200 -> 503`, `field X: set 'v'`, `field Y: removed`… between two responses. */
export function responseChanges(before: AssumedResponse, after: AssumedResponse): string[] {
  const changes: string[] = [];
  if (before.status !== after.status) changes.push(`status: ${before.status} -> ${after.status}`);
  const fields = (r: AssumedResponse) => {
    const map = new Map<string, { name: string; values: string[] }>();
    for (const [name, value] of r.headers) {
      const key = name.toLowerCase();
      const field = map.get(key) ?? { name, values: [] };
      field.values.push(value);
      map.set(key, field);
    }
    return map;
  };
  const was = fields(before);
  const now = fields(after);
  for (const [key, field] of now) {
    const old = was.get(key);
    const value = field.values.join(', ');
    if (old === undefined) changes.push(`field ${field.name}: set '${value}'`);
    else if (old.values.join('\n') !== field.values.join('\n'))
      changes.push(`field ${field.name}: '${old.values.join(', ')}' -> '${value}'`);
  }
  for (const [key, field] of was) if (!now.has(key)) changes.push(`field ${field.name}: removed`);
  return changes;
}

/** Whether the config has rules at the response's hook points (explain lists them). */
export function hasResponseRules(config: JunctionConfig): boolean {
  return RESPONSE_HOOKS.some((hook) => (config.rules?.global.get(hook)?.length ?? 0) > 0);
}

/**
 * The response rules of `config` for a proxied request whose walk left `ctx`: listed, or run against
 * `assumed`. `runAdded` gives the hooks earlier rules added for these points.
 */
export function responseSide(
  config: JunctionConfig,
  ctx: RecordingContext,
  assumed: AssumedResponse | undefined,
): ResponseSide | null {
  const steps = new Map<TxnHookName, RuleStep[]>(
    RESPONSE_HOOKS.map((hook) => [
      hook,
      [
        ...globalRuleSteps(config, hook),
        ...ctx.added
          .filter((a) => a.hook === hook)
          .map((a, i) => ({
            label: `hook ${i + 1} a rule added for ${TXNBOX_HOOK_NAMES[hook]}`,
            run: a.run,
          })),
      ],
    ]),
  );
  const count = [...steps.values()].reduce((n, s) => n + s.length, 0);
  if (count === 0 && assumed === undefined) return null;
  const rules: ResponseRuleRun[] = [];
  if (assumed === undefined) {
    for (const hook of RESPONSE_HOOKS) {
      const global = globalRuleSteps(config, hook).length;
      const sources = ruleSources(config, hook, global);
      steps.get(hook)!.forEach((step, i) =>
        rules.push({
          hook: TXNBOX_HOOK_NAMES[hook],
          rule: step.label,
          source: sources[i] ?? null,
          evaluated: false,
          changes: [],
          error: undefined,
        }),
      );
    }
    return { assumed: null, rules, final: null };
  }
  let head = headOf(assumed);
  ctx.setResponse(head);
  let failed = false;
  for (const hook of RESPONSE_HOOKS) {
    ctx.enter(hook);
    const sources = ruleSources(config, hook, globalRuleSteps(config, hook).length);
    const list = steps.get(hook)!;
    for (let i = 0; i < list.length && !failed; i++) {
      const step = list[i]!;
      const before = stateOf(head);
      const answered = ctx.answer;
      ctx.effects = [];
      let error: string | undefined;
      try {
        if (step.run(ctx) !== undefined) error = 'a rule hook returned a promise (rules are synchronous)';
      } catch (thrown) {
        error = thrown instanceof Error ? thrown.message : String(thrown);
        failed = true;
      }
      // A rule's own answer replaces the response from here on, as in a transaction.
      if (ctx.answer !== answered && ctx.answer !== undefined) {
        head = headOf({
          status: ctx.answer.status,
          headers: Object.entries(ctx.answer.headers ?? {}),
        });
        ctx.setResponse(head);
      }
      rules.push({
        hook: TXNBOX_HOOK_NAMES[hook],
        rule: step.label,
        source: sources[i] ?? null,
        evaluated: true,
        changes: [
          ...responseChanges(before, stateOf(head)),
          ...ctx.effects.map((e) => `${e.kind}: ${e.value}`),
        ],
        error,
      });
    }
  }
  const final = failed ? { status: 500, headers: [] } : stateOf(head);
  return { assumed, rules, final };
}
