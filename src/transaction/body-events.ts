/**
 * What the body sinks (body-sinks.ts) report to the body forwarders: a small interface per direction,
 * so the sinks never reach back into a Transaction. The forwarders implement them.
 */

/** What a transform chain's output end reports: produced bytes, its end, its room again, its failure. */
export interface ChainEvents {
  /** Bytes the chain produced; false: the next hop's buffer is full (the chain waits for chainDrained). */
  chainOutput(data: Buffer): boolean;
  /** The chain produced its last byte. */
  chainEnded(): void;
  /** The chain's input has room again: its producer may write again. */
  chainDrained(): void;
  chainFailed(error: Error): void;
}

/** The response direction: also the decoded runs of a chunked body, and its end. */
export interface ResponseBodyEvents extends ChainEvents {
  /** A run of a decoded chunked response body. */
  responseBody(data: Buffer): void;
  /** The chunked response body's last chunk was read. */
  responseBodyEnded(): void;
}

/** The request direction: only its transform chain reports back. */
export type RequestBodyEvents = ChainEvents;
