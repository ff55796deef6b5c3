/** `junction ctl explain 'METHOD URL' [-H …]`: the admin API's POST /explain, printed like `junction explain`. */
import {
  explanationFromJson,
  explanationText,
  ExplainInputError,
  parseHeaderArg,
  parseRequestLine,
} from '../explain/index.ts';

/** The admin call, in the shape ctl-command.ts's Call takes. */
interface ExplainCall {
  readonly method: 'POST';
  readonly path: string;
  readonly body: unknown;
  readonly render: (answer: unknown) => string;
}

export function explainCall(
  args: readonly string[],
  values: { readonly header?: string[]; readonly client?: string; readonly sni?: string },
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
      },
      render: (answer) => explanationText(explanationFromJson(answer)),
    };
  } catch (error) {
    if (error instanceof ExplainInputError) throw new UsageError(error.message);
    throw error;
  }
}
