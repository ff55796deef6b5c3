/**
 * The end of every transaction, for whoever counts them (metrics). The access log and the observer
 * read the same TxnEnd the transaction (or session) hands over: one record, two consumers, and
 * nothing more is built for the observer.
 */
import type { SessionPort } from './session-port.ts';
import type { TxnEnd } from './txn-end.ts';

export interface TransactionObserver {
  /**
   * A transaction is over (whether or not an access log keeps it). `now` is on the Router's clock,
   * like `end.startedAt`. Called on the data path: it must not allocate or throw.
   */
  transactionEnded(session: SessionPort, end: TxnEnd, now: number): void;
}

/**
 * The observer slot every snapshot of a server shares, so one attached after start (the admin API's
 * metrics) sees transactions on every snapshot, those a reload builds included.
 */
export class TransactionObservers {
  observer: TransactionObserver | null = null;
}
