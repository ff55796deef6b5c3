/**
 * Junction's own answers: an error's (fail), or one a hook gave (`txn.respond`). Owns the answer
 * while send-response hooks see it and writes it to the client; a hook's answer replaces whatever the
 * upstream was doing. Must not: decide which answer a failure gets (local-answers.ts and the
 * transaction's fail do), or touch the upstream other than giving it back.
 */
import type { RequestHead, ResponseHead } from '../codec/types.ts';
import type { RouteConfig } from '../config/types.ts';
import type { ErrorCode } from '../errors/index.ts';
import type { LocalResponse } from '../hooks/index.ts';
import { lowerCased, withoutField } from './access-entry.ts';
import { hookAnswer, localResponseHead, ownAnswerBytes, type HeldLocal } from './local-answers.ts';
import type { TxnPhase } from './phases.ts';
import type { SessionPort } from './session-port.ts';
import type { TxnHooks } from './txn-hooks.ts';

/** What an own answer reads from and asks of its transaction. */
export interface OwnAnswerHost {
  readonly head: RequestHead;
  readonly port: SessionPort;
  readonly route: RouteConfig | undefined;
  readonly txnHooks: TxnHooks | null;
  readonly isFinished: boolean;
  readonly isRequestDone: boolean;
  /** The request ID field every response carries: [name, value]. */
  readonly requestIdField: readonly string[];
  releaseUpstream(reusable: boolean, status: number, errorCode: ErrorCode | undefined): void;
  runPhase(phase: TxnPhase): void;
  /** The response going to the client is now `head` (null: drop the upstream's held head). */
  responseReplaced(head: ResponseHead | null): void;
  /** The answer is about to be written: the transaction is over, with this status and code. */
  finishing(status: number, code: ErrorCode | undefined): void;
  /** The answer was written: the access line and txn-close hooks. */
  ended(): void;
}

export class OwnAnswer {
  readonly #host: OwnAnswerHost;
  /** The answer while send-response hooks see it. */
  #held: HeldLocal | null = null;

  constructor(host: OwnAnswerHost) {
    this.#host = host;
  }

  /** A hook answered the client itself: whatever the upstream was doing is dropped. */
  fromHook(answer: LocalResponse): void {
    const host = this.#host;
    host.txnHooks!.answer = undefined;
    host.responseReplaced(null);
    host.releaseUpstream(false, 0, undefined);
    const { headers, body } = hookAnswer(answer);
    this.respond(answer.status, undefined, headers, body);
  }

  /** Junction's own answer: send-response hooks see it first, if there are any (and none failed). */
  respond(status: number, code: ErrorCode | undefined, headers: string[], body: Buffer): void {
    const host = this.#host;
    host.releaseUpstream(false, 0, code);
    const head = localResponseHead(status, headers, body.length);
    this.#held = { head, body, code };
    const hooks = host.txnHooks;
    if (hooks !== null) {
      host.responseReplaced(head);
      hooks.setResponse(head);
      if (!hooks.failed && hooks.hook !== 'send-response' && hooks.has('send-response')) {
        host.runPhase('send-local');
        return;
      }
    }
    this.write();
  }

  /** The answer goes out, after send-response hooks (unless one replaced it with its own). */
  write(): void {
    const host = this.#host;
    const local = this.#held;
    if (local === null || host.isFinished) return;
    this.#held = null;
    const answer = host.txnHooks?.answer;
    if (answer !== undefined) {
      this.fromHook(answer);
      return;
    }
    const session = host.port;
    const keepAlive = host.head.keepAlive && !session.draining && host.isRequestDone;
    const head = local.head;
    host.finishing(head.status, local.code);
    const idField = host.requestIdField;
    withoutField(head.headers, lowerCased(idField[0]!));
    const overTls = session.tls !== null;
    session.ownAnswer?.(local.code);
    session.writeClient(
      ownAnswerBytes(head, local.body, idField, host.route?.hsts, overTls, host.head.method, !keepAlive),
    );
    session.onTransactionDone(keepAlive);
    host.ended();
  }
}
