/**
 * The template access-log format: a feature string of the rule language (`{ua-req-method}
 * {ua-req-path} {proxy-rsp-status}`, with `{name:format}` padding and `{{`/`}}` escapes), parsed by the
 * rule language's own parser and checked once at load time. The names are the rule language's
 * extractors that make sense once a transaction is over, plus the access log's own fields (written as
 * in the JSON format, with dashes: `{request-id}`, `{duration-ms}`). Values missing for a transaction
 * print as `-`.
 */
import { applyFormat, parseFormatString } from '../rules/features/index.ts';
import { didYouMean } from '../util/edit-distance.ts';
import { clientText, isoTime } from './json-line.ts';
import type { AccessRecord } from './record.ts';

type Value = (r: AccessRecord) => string | number | null;

function pathOnly(r: AccessRecord): string | null {
  const path = r.path;
  if (path === null) return null;
  const q = path.indexOf('?');
  return q < 0 ? path : path.slice(0, q);
}

function queryOnly(r: AccessRecord): string | null {
  const path = r.path;
  if (path === null) return null;
  const q = path.indexOf('?');
  return q < 0 ? '' : path.slice(q + 1);
}

/** The rule language's path: without its query and, as in TxnBox, without the leading slash. */
function rulePath(r: AccessRecord): string | null {
  const path = pathOnly(r);
  return path?.startsWith('/') === true ? path.slice(1) : path;
}

const VALUES: ReadonlyMap<string, Value> = new Map<string, Value>([
  // The rule language's extractors.
  ['ua-req-method', (r) => r.method],
  ['ua-req-scheme', (r) => r.scheme],
  ['ua-req-host', (r) => r.host],
  ['ua-req-path', rulePath],
  ['ua-req-query', queryOnly],
  ['proxy-req-method', (r) => r.method],
  ['proxy-req-host', (r) => r.host],
  ['proxy-req-path', rulePath],
  ['proxy-req-query', queryOnly],
  ['proxy-rsp-status', (r) => r.status],
  ['proxy-rsp-bytes', (r) => r.bytesSent],
  ['inbound-addr-remote', (r) => r.clientAddress],
  ['inbound-port-remote', (r) => r.clientPort],
  ['inbound-sni', (r) => r.sni],
  ['inbound-protocol', (r) => r.protocol],
  ['route', (r) => r.route],
  ['cluster', (r) => r.cluster],
  ['upstream', (r) => r.upstream],
  ['txn-elapsed', (r) => r.durationMs],
  // The access log's own fields.
  ['time', (r) => isoTime(r.time)],
  ['type', (r) => r.kind],
  ['request-id', (r) => r.requestId],
  ['client', clientText],
  ['listener', (r) => r.listener],
  ['method', (r) => r.method],
  ['scheme', (r) => r.scheme],
  ['host', (r) => r.host],
  ['path', (r) => r.path],
  ['protocol', (r) => r.protocol],
  ['status', (r) => r.status],
  ['duration-ms', (r) => r.durationMs],
  ['upstream-ms', (r) => r.upstreamMs],
  ['bytes-received', (r) => r.bytesReceived],
  ['bytes-sent', (r) => r.bytesSent],
  ['attempts', (r) => r.attempts],
  ['error-code', (r) => r.errorCode],
  ['trace-id', (r) => r.traceId],
  ['user-agent', (r) => r.userAgent],
  ['referer', (r) => r.referer],
  ['tls-version', (r) => r.tlsVersion],
  ['sni', (r) => r.sni],
  ['client-cert-subject', (r) => r.clientCert?.subject ?? null],
  ['client-cert-verify', (r) => r.clientCert?.verify ?? null],
  ['cache', (r) => r.cache ?? null],
]);

/** Request fields the record keeps, for `{ua-req-field<name>}`. */
const FIELDS: ReadonlyMap<string, Value> = new Map<string, Value>([
  ['user-agent', (r) => r.userAgent],
  ['referer', (r) => r.referer],
  ['host', (r) => r.host],
]);

export type TemplateCompile =
  | { readonly ok: true; readonly format: (r: AccessRecord) => string }
  | { readonly ok: false; readonly problem: string };

/** Compiles a template once; every name is checked here, so a line never fails to format. */
export function compileTemplate(text: string): TemplateCompile {
  const parsed = parseFormatString(text);
  if (!parsed.ok) return { ok: false, problem: parsed.problem };
  const pieces: (string | ((r: AccessRecord) => string))[] = [];
  for (const part of parsed.parts) {
    if (typeof part === 'string') {
      pieces.push(part);
      continue;
    }
    let value: Value | undefined;
    if (part.name === 'ua-req-field' || part.name === 'proxy-req-field') {
      value = FIELDS.get((part.arg ?? '').toLowerCase());
      if (value === undefined) {
        return {
          ok: false,
          problem: `the access log keeps only these request fields: ${[...FIELDS.keys()].join(', ')}`,
        };
      }
    } else {
      if (part.arg !== undefined) return { ok: false, problem: `{${part.name}} takes no argument` };
      value = VALUES.get(part.name);
      if (value === undefined) {
        const hint = didYouMean(part.name, [...VALUES.keys()]);
        return { ok: false, problem: `{${part.name}} is not an access log value${hint}` };
      }
    }
    const get = value;
    const format = part.format;
    pieces.push(
      format === undefined
        ? (r) => {
            const v = get(r);
            return v === null ? '-' : String(v);
          }
        : (r) => applyFormat(get(r) ?? '-', format),
    );
  }
  return {
    ok: true,
    format: (r) => {
      let out = '';
      for (const piece of pieces) out += typeof piece === 'string' ? piece : piece(r);
      return out;
    },
  };
}

/** The value names a template may use, for docs and messages. */
export const TEMPLATE_NAMES: readonly string[] = [...VALUES.keys(), 'ua-req-field<name>'];
