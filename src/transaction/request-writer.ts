/**
 * Writing one attempt's request upstream: request transforms chosen (once, at the first attempt that
 * carries the body), the trace's fields, the head, then the body's start: `100 Continue` and the held
 * bytes when the body waited for this upstream, or the kept copy on a retry. The request side
 * (request-body.ts) forwards the rest. Called by the driver with the transaction itself as its host:
 * no object is made for it.
 */
import type { RequestHead } from '../codec/types.ts';
import type { RouteConfig } from '../config/types.ts';
import type { RouterLease, UpstreamChannel } from '../router/index.ts';
import type { TxnTrace } from '../tracing/index.ts';
import { removeFramingFields, type RequestTransformFactory } from '../transforms/index.ts';
import { applyInOrder } from './body-sinks.ts';
import { serializeUpstreamRequestHead } from './forward-heads.ts';
import type { RequestBodyForwarder } from './request-body.ts';
import { PAUSE_WAIT_UPSTREAM, type SessionPort } from './session-port.ts';
import type { RuntimeSnapshot } from './snapshot.ts';
import { maxBodyBytes } from './txn-routing.ts';

/** What writing the request reads of the transaction. */
export interface RequestWriterHost {
  readonly head: RequestHead;
  readonly port: SessionPort;
  readonly snapshot: RuntimeSnapshot;
  readonly route: RouteConfig | undefined;
  /** The request goes as a protocol upgrade (the driver checked it still asks for one). */
  readonly forwardsUpgrade: boolean;
}

/**
 * Writes the request head and the start of its body to `channel`; `request` is the request side
 * (null without a body). Returns whether the next bytes to wait for are the client's (more body).
 */
export function writeUpstreamRequest(
  txn: RequestWriterHost,
  channel: UpstreamChannel,
  request: RequestBodyForwarder | null,
  transforms: readonly RequestTransformFactory[] | null | undefined,
  trace: TxnTrace | null,
  lease: RouterLease | undefined,
): boolean {
  const session = txn.port;
  const head = txn.head;
  const awaiting = request !== null && request.state === 'awaiting-upstream';
  if (transforms != null && awaiting && !request.isTransformed) {
    const chain = applyInOrder(transforms, (factory) => factory(head), head.headers);
    if (chain !== null) {
      removeFramingFields(head.headers);
      request.transformWith(chain);
    }
  }
  trace?.writeFields(head.headers, head.method, lease?.upstream);
  const replay = awaiting ? null : (request?.replayBody ?? null);
  // Cork only when more than the head goes out now: a lone write through cork/uncork takes the
  // stream's buffered path (a queued entry and its callback) for nothing.
  const more = awaiting || replay !== null;
  if (more) channel.cork();
  const info = {
    clientAddress: session.clientAddress,
    scheme: session.scheme,
    forwarded: txn.snapshot.config.forwarded,
    chunkedBody: request?.isTransformed === true,
    upstreamAuthority: channel.upstreamId,
    upgrade: txn.forwardsUpgrade,
  };
  channel.write(serializeUpstreamRequestHead(head, info), 'latin1');
  if (awaiting) {
    if (head.expectContinue) session.writeClient('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
    const held = request.upstreamReady(
      maxBodyBytes(txn.route, txn.snapshot.config),
      txn.snapshot.headLimits.maxHeadBytes,
    );
    if (held !== null) request.forward(held, 0);
    session.resumeClient(PAUSE_WAIT_UPSTREAM);
  } else if (replay !== null) {
    // A retry: the body came whole with the first attempt and was kept.
    channel.write(replay);
  }
  if (more) channel.uncork();
  return request?.state === 'body' && !channel.needsDrain;
}
