/**
 * `junction explain` and `junction preview`: what a config does with a request, and which requests
 * a new config would handle differently, without starting anything (explain/ does the work).
 */
import { readFile } from 'node:fs/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { JunctionConfig } from '../config/index.ts';
import {
  assumedResponse,
  explain,
  explanationJson,
  explanationText,
  ExplainInputError,
  parseHeaderArg,
  parseRequestLine,
  parseRequestsFile,
  preview,
  previewJson,
  previewText,
} from '../explain/index.ts';
import { loadOrReport } from './check-command.ts';
import type { CliContext } from './cli-context.ts';
import { describeParseError, EXPLAIN_OPTIONS, PREVIEW_OPTIONS } from './cli-spec.ts';

export const EXPLAIN_USAGE = `Usage: junction explain -c FILE [--json] 'METHOD URL' [-H 'Name: value']... [--client ADDR] [--sni NAME]
                        [--status N [--response-header 'Name: value']...]
       junction preview --old A.yaml --new B.yaml --requests FILE [--json]

explain prints what Junction would do with one request under the config FILE, without sending it:
the listener, the rules that fire and what each changes, the routes tried in order and the condition
each missed, the route, cluster, strategy and backend, retries and timeouts, plugins' hook points.

preview replays the requests of FILE (Junction's JSON access log, or lines 'METHOD URL' each followed
by indented 'Name: value' lines) against both configs and prints those handled differently.

Options:
  -c, --config FILE      The config (explain)
  -H, --header 'N: v'    A request header field (explain; repeatable)
      --client ADDR      The client's address (explain; default 127.0.0.1)
      --sni NAME         The TLS server name (explain; default the URL's host on HTTPS)
      --listener NAME    The listener the request arrives on (explain; default by the URL's port)
      --status N         Assume the backend answers N: run the upstream-rsp and proxy-rsp rules (explain)
      --response-header 'N: v'   A field of that assumed response (explain; repeatable)
      --old FILE, --new FILE, --requests FILE   (preview)
      --json             One JSON object, keys sorted, instead of text
  -h, --help             Show this help

Exit status: 0 done, 1 invalid config, 2 usage error.
`;

const USAGE_ERROR = 2;

/** A usage error says what is wrong and where the options are, as every command's does (main.ts). */
function usageError(context: CliContext, command: string, message: string): number {
  context.stderr.write(
    `junction ${command}: ${message}\nRun 'junction ${command} --help' for its options.\n`,
  );
  return USAGE_ERROR;
}

function parse<T extends ParseArgsConfig['options'] & object>(args: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: true });
  } catch (error) {
    throw new Error(describeParseError(error as NodeJS.ErrnoException, options), { cause: error });
  }
}

async function loaded(file: string, context: CliContext): Promise<JunctionConfig | undefined> {
  return loadOrReport(file, context, 'warn');
}

export async function runExplain(args: readonly string[], context: CliContext): Promise<number> {
  let parsed;
  try {
    parsed = parse(args, EXPLAIN_OPTIONS);
  } catch (error) {
    return usageError(context, 'explain', (error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    context.stdout.write(EXPLAIN_USAGE);
    return 0;
  }
  const file = values.config;
  if (typeof file !== 'string' || file === '') return usageError(context, 'explain', 'explain needs -c FILE');
  if (positionals.length === 0)
    return usageError(context, 'explain', "explain needs a request: 'METHOD URL'");
  let request;
  try {
    const { method, url } = parseRequestLine(positionals.join(' '));
    const headers = (values.header ?? []).map(parseHeaderArg);
    request = {
      method,
      url,
      headers,
      client: values.client,
      sni: values.sni,
      listener: values.listener,
      response: assumedResponse(values.status, values['response-header']),
    };
  } catch (error) {
    if (!(error instanceof ExplainInputError)) throw error;
    return usageError(context, 'explain', error.message);
  }
  const config = await loaded(file, context);
  if (config === undefined) return 1;
  try {
    const explanation = await explain(config, request);
    context.stdout.write(values.json === true ? explanationJson(explanation) : explanationText(explanation));
    return 0;
  } catch (error) {
    if (!(error instanceof ExplainInputError)) throw error;
    context.stderr.write(`junction explain: ${error.message}\n`);
    return 1;
  } finally {
    config.rules?.dispose();
  }
}

export async function runPreview(args: readonly string[], context: CliContext): Promise<number> {
  let parsed;
  try {
    parsed = parse(args, PREVIEW_OPTIONS);
  } catch (error) {
    return usageError(context, 'preview', (error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    context.stdout.write(EXPLAIN_USAGE);
    return 0;
  }
  const oldFile = values.old;
  const newFile = values.new;
  const requestsFile = values.requests;
  if (positionals.length > 0) return usageError(context, 'preview', `unexpected '${positionals[0]!}'`);
  if (typeof oldFile !== 'string' || typeof newFile !== 'string' || typeof requestsFile !== 'string')
    return usageError(context, 'preview', 'preview needs --old FILE --new FILE --requests FILE');
  let requests;
  try {
    requests = parseRequestsFile(await readFile(requestsFile, 'utf8'));
  } catch (error) {
    const message = error instanceof ExplainInputError ? error.message : (error as Error).message;
    context.stderr.write(`junction preview: ${requestsFile}: ${message}\n`);
    return 1;
  }
  const oldConfig = await loaded(oldFile, context);
  if (oldConfig === undefined) return 1;
  const newConfig = await loaded(newFile, context);
  if (newConfig === undefined) {
    oldConfig.rules?.dispose();
    return 1;
  }
  try {
    const result = await preview(oldConfig, newConfig, requests);
    context.stdout.write(values.json === true ? previewJson(result) : previewText(result));
    return 0;
  } finally {
    oldConfig.rules?.dispose();
    newConfig.rules?.dispose();
  }
}
