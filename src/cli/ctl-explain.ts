/**
 * `junction ctl explain 'METHOD URL' [-H …]`: the admin API's POST /explain, printed like `junction
 * explain`; `junction ctl preview B.yaml`: the kept requests (GET /explain/recent) against B.yaml,
 * printed like `junction preview`.
 */
import {
  assumedResponse,
  explanationFromJson,
  explanationText,
  ExplainInputError,
  parseHeaderArg,
  parseRequestLine,
  previewJson,
  previewRecorded,
  previewText,
  type RecentRequests,
} from '../explain/index.ts';
import { loadOrReport } from './check-command.ts';
import type { CliContext } from './cli-context.ts';

/** The admin call, in the shape ctl-command.ts's Call takes. */
interface ExplainCall {
  readonly method: 'POST';
  readonly path: string;
  readonly body: unknown;
  readonly render: (answer: unknown) => string;
}

export function explainCall(
  args: readonly string[],
  values: {
    readonly header?: string[];
    readonly client?: string;
    readonly sni?: string;
    readonly status?: string;
    readonly 'response-header'?: string[];
  },
  UsageError: new (message: string) => Error,
): ExplainCall {
  if (args.length === 0) throw new UsageError("explain needs a request: 'METHOD URL'");
  try {
    const { method, url } = parseRequestLine(args.join(' '));
    return {
      method: 'POST',
      path: '/explain',
      body: {
        method,
        url,
        headers: (values.header ?? []).map(parseHeaderArg),
        client: values.client ?? null,
        sni: values.sni ?? null,
        response: assumedResponse(values.status, values['response-header']) ?? null,
      },
      render: (answer) => explanationText(explanationFromJson(answer)),
    };
  } catch (error) {
    if (error instanceof ExplainInputError) throw new UsageError(error.message);
    throw error;
  }
}

/** The config was refused (its problems already printed): exit status 1. */
export class CtlPreviewFailed extends Error {}

/** The admin call `junction ctl preview B.yaml` makes, and its rendering once B.yaml is loaded here. */
interface PreviewCall {
  readonly method: 'GET';
  readonly path: string;
  readonly render: (answer: unknown, context: CliContext, json: boolean) => Promise<string>;
  readonly rendersJson: true;
}

/**
 * `junction ctl preview B.yaml`: the running process's kept requests, with their outcomes under the
 * running config (`GET /explain/recent`), against B.yaml loaded as `junction check` loads it.
 */
export function previewCall(
  args: readonly string[],
  UsageError: new (message: string) => Error,
): PreviewCall {
  if (args.length !== 1 || args[0] === '')
    throw new UsageError('preview needs one config file: preview B.yaml');
  const file = args[0]!;
  return {
    method: 'GET',
    path: '/explain/recent',
    rendersJson: true,
    render: async (answer, context, json) => {
      const recent = answer as RecentRequests;
      const config = await loadOrReport(file, context, 'warn');
      if (config === undefined) throw new CtlPreviewFailed(`${file} is not a valid config`);
      try {
        const result = await previewRecorded(recent.requests, config);
        return json ? previewJson(result) : previewText(result);
      } finally {
        config.rules?.dispose();
      }
    },
  };
}
