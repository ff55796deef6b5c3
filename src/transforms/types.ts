import type { Transform } from 'node:stream';
import type { RequestHead, ResponseHead } from '../codec/types.ts';

/**
 * What one transform does to one message: edits its head, and rewrites its body through a fresh
 * Node Transform stream (Buffers in, Buffers out). A factory decides per message whether it applies
 * and returns one of these, so the object may carry that message's decisions (an encoding, a size).
 */
export interface BodyTransform {
  /** Names the transform in logs, such as `compress-gzip`. */
  readonly name: string;
  /**
   * Edits the head before it is sent: sets Content-Encoding, adds to Vary, weakens an ETag.
   * Never touches the framing fields (Content-Length, Transfer-Encoding): the caller removes them and
   * re-frames, because a transformed body's length is unknown until it has been produced.
   */
  editHead?(headers: string[]): void;
  /** A fresh stream for this message's body. Called at most once per message. */
  stream(): Transform;
  /**
   * For streams that hold output back until they have enough input (compressors): pushes out what
   * `stream` holds without ending it. A TransformPipe calls it once per event-loop turn in which input
   * was written, so a slowly arriving body still reaches the client as it comes.
   */
  flush?(stream: Transform): void;
}

/** Decides whether a transform applies to one response, and how; undefined when it does not. */
export type ResponseTransformFactory = (
  request: RequestHead,
  response: ResponseHead,
) => BodyTransform | undefined;

/** Decides whether a transform applies to one request body, and how; undefined when it does not. */
export type RequestTransformFactory = (request: RequestHead) => BodyTransform | undefined;

/**
 * A factory that works in both directions: called with the request only, it judges the request's own
 * body; called with a response too, it judges the response's body. Assignable to both factory types.
 */
export type MessageTransformFactory = (
  request: RequestHead,
  response?: ResponseHead,
) => BodyTransform | undefined;
