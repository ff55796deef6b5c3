/**
 * The record of a finished transaction that its observer (metrics) and the access log both read. Its
 * own file, so that the observer, the snapshot that holds the observer and the access entry that
 * builds the record import it without importing one another.
 */
import type { RequestHead } from '../codec/types.ts';
import type { RouteConfig } from '../config/types.ts';
import type { TunnelReport } from '../tunnel/index.ts';

/** What the transaction knows when it is over. */
export interface TxnEnd {
  /** Null for a request whose head could not be read (400, 431). */
  readonly head: RequestHead | null;
  readonly requestId: string;
  readonly route: RouteConfig | undefined;
  readonly cluster: string | undefined;
  readonly upstream: string | undefined;
  readonly status: number;
  readonly errorCode: string | undefined;
  readonly startedAt: number;
  /** When the upstream's response head arrived (router clock); 0 if none did. */
  readonly upstreamHeadAt: number;
  readonly attempts: number;
  /** The session's byte counters when the transaction started. */
  readonly readMark: number;
  readonly writeMark: number;
  readonly tunnel: TunnelReport | undefined;
  /**
   * The trace the transaction was part of (continued or started); null for none. Omitted by an answer
   * Junction gives itself before any transaction (a redirect): the client's traceparent's, if valid.
   */
  readonly traceId?: string | null;
  /** The HTTP cache's status (hit, miss, stale, revalidated, bypass); undefined off caching routes. */
  readonly cache?: string | undefined;
}
