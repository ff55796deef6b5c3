/**
 * Header field directives: `ua-req-field<name>`, `proxy-req-field<name>`, `upstream-rsp-field<name>`,
 * `proxy-rsp-field<name>` and their `-append` forms. Junction has one request view (the client's
 * request is what goes upstream) and one response view (the upstream's head is what the client
 * gets), so `ua-req-*` and `proxy-req-*` edit the same head at different hooks, and so do
 * `upstream-rsp-*` and `proxy-rsp-*`.
 *
 * Set: a string (or any feature, as text) replaces every value of the field; a tuple gives one field
 * per element; null or an empty tuple removes the field. Append: adds after the existing values;
 * null adds nothing.
 */
import type { HeaderFields } from '../../hooks/index.ts';
import type { CompileEnv, CompiledDirective, DirectiveSpec, Feature, RuleContext } from '../types.ts';
import {
  PROXY_REQ_HOOKS,
  PROXY_RSP_HOOKS,
  UA_REQ_HOOKS,
  UPSTREAM_RSP_HOOKS,
  type RuleHook,
} from './hooks.ts';
import { DirectiveRunError, featureToString, tupleElements, UNSAFE_TEXT, type Eval } from './values.ts';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Junction frames every hop itself: these fields are never the rules' to change. */
export const FRAMING_FIELDS: ReadonlySet<string> = new Set(['content-length', 'transfer-encoding']);

/** Checks a literal field name at load time. */
export function checkFieldName(env: CompileEnv, name: string | undefined, directive: string): string {
  if (name === undefined || name === '') env.fail(`${directive} needs a field name: ${directive}<Name>`);
  if (!TOKEN.test(name)) env.fail(`'${name}' is not a valid header field name`);
  if (FRAMING_FIELDS.has(name.toLowerCase())) {
    env.fail(`${name} belongs to Junction's message framing and cannot be changed by a rule`);
  }
  return name;
}

type Target = 'request' | 'response';

function headersOf(target: Target, directive: string): (ctx: RuleContext) => HeaderFields {
  if (target === 'request') return (ctx) => ctx.txn.request.headers;
  return (ctx) => {
    const response = ctx.txn.response;
    if (response === undefined) throw new DirectiveRunError(directive, 'there is no response at this hook');
    return response.headers;
  };
}

/**
 * A field value's text: without leading and trailing whitespace, line breaks included, which are not
 * part of a field value (so a text block read from a file that ends with a newline can be one).
 */
function fieldText(feature: Feature): string {
  return featureToString(feature).replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
}

/** The values a feature stands for: null none, a tuple one per (non-null) element, else its text. */
function valuesOf(feature: Feature, out: string[]): void {
  if (feature === null) return;
  if (Array.isArray(feature)) {
    for (const element of feature as readonly Feature[]) {
      if (element !== null) out.push(fieldText(element));
    }
    return;
  }
  out.push(fieldText(feature));
}

/** Compiles the value to a function giving the field values (a tuple node: one expression per element). */
function compileValues(env: CompileEnv, value: unknown): Eval<readonly string[]> {
  const elements = tupleElements(value);
  const compiled = (elements ?? [value]).map((node, i) => (elements ? env.at(i) : env).expression(node));
  if (compiled.every((c) => c.constant !== undefined)) {
    const out: string[] = [];
    for (const c of compiled) valuesOf(c.constant!, out);
    for (const text of out)
      if (UNSAFE_TEXT.test(text)) env.fail('a field value must not contain a line break or NUL');
    return () => out;
  }
  const evaluators = compiled.map((c) => c.evaluate);
  if (evaluators.length === 1) {
    const evaluate = evaluators[0]!;
    return (ctx) => {
      const feature = evaluate(ctx);
      const out: string[] = [];
      valuesOf(feature, out);
      return out;
    };
  }
  return (ctx) => {
    const out: string[] = [];
    for (const evaluate of evaluators) valuesOf(evaluate(ctx), out);
    return out;
  };
}

function fieldSpec(
  name: string,
  target: Target,
  hooks: ReadonlySet<RuleHook>,
  append: boolean,
): DirectiveSpec {
  return {
    name,
    arg: 'required',
    hooks,
    compile(arg: string | undefined, value: unknown, env: CompileEnv): CompiledDirective {
      const field = checkFieldName(env, arg, name);
      if (target === 'request' && field.toLowerCase() === 'host') {
        // Routing and strategies read the request's host, which the Host field only mirrors.
        const prefix = name.startsWith('ua-') ? 'ua-req' : 'proxy-req';
        env.fail(`the Host field follows the request's host: use ${prefix}-host (the field is kept in step)`);
      }
      if (value === undefined) env.fail(`${name}<${field}> needs a value (null removes the field)`);
      const headers = headersOf(target, name);
      const values = compileValues(env, value);
      if (append) {
        return (ctx) => {
          const list = values(ctx);
          if (list.length === 0) return;
          const fields = headers(ctx);
          for (const text of list) fields.append(field, text);
        };
      }
      return (ctx) => {
        const list = values(ctx);
        const fields = headers(ctx);
        if (list.length === 0) {
          fields.delete(field);
          return;
        }
        fields.set(field, list[0]!);
        for (let i = 1; i < list.length; i++) fields.append(field, list[i]!);
      };
    },
  };
}

export const FIELD_DIRECTIVES: readonly DirectiveSpec[] = [
  fieldSpec('ua-req-field', 'request', UA_REQ_HOOKS, false),
  fieldSpec('ua-req-field-append', 'request', UA_REQ_HOOKS, true),
  fieldSpec('proxy-req-field', 'request', PROXY_REQ_HOOKS, false),
  fieldSpec('proxy-req-field-append', 'request', PROXY_REQ_HOOKS, true),
  fieldSpec('upstream-rsp-field', 'response', UPSTREAM_RSP_HOOKS, false),
  fieldSpec('upstream-rsp-field-append', 'response', UPSTREAM_RSP_HOOKS, true),
  fieldSpec('proxy-rsp-field', 'response', PROXY_RSP_HOOKS, false),
  fieldSpec('proxy-rsp-field-append', 'response', PROXY_RSP_HOOKS, true),
];
