/**
 * `junction ctl preview`: the requests the running process kept (transaction/'s RequestRing), each with
 * its outcome under the running config (worked out where that config runs, by the admin API), against
 * a new config loaded where the command runs.
 */
import type { JunctionConfig } from '../config/index.ts';
import type { KeptRequest } from '../transaction/index.ts';
import type { ExplainOptions } from './evaluate.ts';
import {
  changeKinds,
  outcomeOf,
  type OutcomeSummary,
  type PreviewChange,
  type PreviewResult,
} from './preview.ts';
import type { ExplainRequest } from './request.ts';

/** A kept request with its outcome under the running config: what `GET /explain/recent` lists. */
export interface RecordedRequest {
  /** When the head was read (ms since the epoch); absent for requests recorded without one. */
  readonly time?: number;
  readonly request: ExplainRequest;
  /** `METHOD URL`, for the report. */
  readonly label: string;
  readonly outcome: OutcomeSummary;
}

/** What `GET /explain/recent` answers. */
export interface RecentRequests {
  /** `explain.keep_requests` of the running config; 0 when the ring is off. */
  readonly keepRequests: number;
  readonly requests: readonly RecordedRequest[];
}

/** A kept head as explain() takes it: the target as sent, with its Host field, on the listener it came in on. */
export function explainRequestOf(kept: KeptRequest): { request: ExplainRequest; label: string } {
  const originForm = kept.target.startsWith('/');
  const authority = kept.port === '' ? kept.host : `${kept.host}:${kept.port}`;
  const shown = originForm && kept.host !== '' ? `${kept.scheme}://${authority}${kept.target}` : kept.target;
  return {
    request: {
      method: kept.method,
      url: kept.target,
      headers: kept.headers,
      client: kept.client,
      sni: kept.sni ?? undefined,
      listener: kept.listener,
    },
    label: `${kept.method} ${shown}`,
  };
}

/** Gives the event loop back between requests: the process that runs this is serving traffic. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Each kept request with its outcome under `config` (the running one). */
export async function recordOutcomes(
  config: JunctionConfig,
  kept: readonly KeptRequest[],
  options: ExplainOptions,
): Promise<RecordedRequest[]> {
  const recorded: RecordedRequest[] = [];
  for (const head of kept) {
    const { request, label } = explainRequestOf(head);
    recorded.push({ time: head.time, request, label, outcome: await outcomeOf(config, request, options) });
    await turn();
  }
  return recorded;
}

/** The recorded requests under `newConfig`: those whose outcome differs from the recorded one. */
export async function previewRecorded(
  recorded: readonly RecordedRequest[],
  newConfig: JunctionConfig,
): Promise<PreviewResult> {
  const options: ExplainOptions = { skipPlugins: true };
  const changed: PreviewChange[] = [];
  for (const { request, label, outcome } of recorded) {
    const after = await outcomeOf(newConfig, request, options);
    const kinds = changeKinds(outcome, after);
    if (kinds.length > 0) changed.push({ request: label, kind: kinds[0]!, kinds, old: outcome, new: after });
  }
  return { total: recorded.length, changed };
}
