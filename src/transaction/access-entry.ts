/**
 * The end of a transaction as the access log sees it: which log applies (route, listener, top level),
 * and the record, built only when the line is kept. Request IDs are decided here too, at the start.
 */
import { accessLogFor, isWellFormedRequestId, newRequestId, type AccessRecord } from '../access-log/index.ts';
import type { RequestHead } from '../codec/types.ts';
import { parseTraceparent } from '../tracing/index.ts';
import type { SessionPort } from './session-port.ts';
import type { RuntimeSnapshot } from './snapshot.ts';
import type { TxnEnd } from './txn-end.ts';

export type { TxnEnd } from './txn-end.ts';

/**
 * A transaction is over: its observer (metrics) counts it, then its access line is written when an
 * access log applies and keeps it.
 */
export function logTransactionEnd(session: SessionPort, snapshot: RuntimeSnapshot, end: TxnEnd): void {
  snapshot.observers.observer?.transactionEnded(session, end, snapshot.router.now());
  const accessLog = accessLogFor(
    end.route?.accessLog,
    session.listener.accessLog,
    snapshot.config.accessLog,
    session.log,
  );
  const errorCode = end.errorCode ?? null;
  if (!accessLog?.wants(end.status, errorCode)) return;
  accessLog.write(accessRecord(session, snapshot, end, errorCode));
}

function accessRecord(
  session: SessionPort,
  snapshot: RuntimeSnapshot,
  end: TxnEnd,
  errorCode: string | null,
): AccessRecord {
  const head = end.head;
  const now = snapshot.router.now();
  if (head === null) {
    return {
      ...requestLess(session, end, errorCode),
      durationMs: Math.max(0, Math.round(now - end.startedAt)),
      bytesReceived: Math.max(0, session.bytesRead - end.readMark),
      bytesSent: Math.max(0, session.bytesWritten - end.writeMark),
    };
  }
  const tls = session.tls;
  const fields = loggedFields(head, end.traceId === undefined);
  return {
    kind: end.tunnel === undefined ? 'http' : 'tunnel',
    time: Date.now(),
    requestId: end.requestId,
    clientAddress: session.clientAddress,
    clientPort: session.clientPort,
    listener: session.listener.name,
    method: head.method,
    scheme: session.scheme,
    host: head.host,
    path: head.path + head.query,
    protocol: session.protocol ?? (head.versionMinor === 1 ? 'HTTP/1.1' : 'HTTP/1.0'),
    status: end.status,
    durationMs: Math.max(0, Math.round(now - end.startedAt)),
    upstreamMs: end.upstreamHeadAt === 0 ? null : Math.max(0, Math.round(end.upstreamHeadAt - end.startedAt)),
    bytesReceived: Math.max(0, session.bytesRead - end.readMark),
    bytesSent: Math.max(0, session.bytesWritten - end.writeMark),
    route: end.route?.name ?? null,
    cluster: end.cluster ?? null,
    upstream: end.upstream ?? null,
    attempts: end.attempts,
    errorCode,
    traceId:
      end.traceId !== undefined ? end.traceId : (parseTraceparent(fields.traceparent)?.traceId ?? null),
    userAgent: fields.userAgent,
    referer: fields.referer,
    tlsVersion: tls === null ? null : tls.protocol,
    sni: tls === null ? null : tls.serverName,
    ...clientCertFields(tls),
    ...(end.cache === undefined ? {} : { cache: end.cache }),
  };
}

/** The record of an answer to a request whose head could not be read: no method, host or path. */
function requestLess(
  session: SessionPort,
  end: TxnEnd,
  errorCode: string | null,
): Omit<AccessRecord, 'durationMs' | 'bytesReceived' | 'bytesSent'> {
  const tls = session.tls;
  return {
    kind: 'http',
    time: Date.now(),
    requestId: end.requestId,
    clientAddress: session.clientAddress,
    clientPort: session.clientPort,
    listener: session.listener.name,
    method: null,
    scheme: session.scheme,
    host: null,
    path: null,
    protocol: session.protocol ?? 'HTTP/1.1',
    status: end.status,
    upstreamMs: null,
    route: null,
    cluster: null,
    upstream: null,
    attempts: 0,
    errorCode,
    traceId: null,
    userAgent: null,
    referer: null,
    tlsVersion: tls === null ? null : tls.protocol,
    sni: tls === null ? null : tls.serverName,
    ...clientCertFields(tls),
  };
}

interface LoggedFields {
  userAgent: string | null;
  referer: string | null;
  traceparent: string | undefined;
}

/**
 * The request fields a line quotes, the first of each, in one pass over the head: a name is
 * lower-cased only when its length is one of theirs (most fields a browser sends are not).
 */
function loggedFields(head: RequestHead, wantTraceparent: boolean): LoggedFields {
  const found: LoggedFields = { userAgent: null, referer: null, traceparent: undefined };
  const headers = head.headers;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    switch (name.length) {
      case 10:
        if (found.userAgent === null && name.toLowerCase() === 'user-agent')
          found.userAgent = headers[i + 1]!;
        break;
      case 7:
        if (found.referer === null && name.toLowerCase() === 'referer') found.referer = headers[i + 1]!;
        break;
      case 11:
        if (wantTraceparent && found.traceparent === undefined && name.toLowerCase() === 'traceparent') {
          found.traceparent = headers[i + 1];
        }
        break;
    }
  }
  return found;
}

/**
 * The transaction's request ID: the client's when the listener trusts it and it is well-formed, else a
 * new one, which replaces any the client sent. The request head carries it to the upstream.
 */
export function assignRequestId(head: RequestHead, session: SessionPort, headerName: string): string {
  const headers = head.headers;
  const lowerName = lowerCased(headerName);
  let kept: string | undefined;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    // The length first: lower-casing every name made a string per field and request.
    if (name.length !== lowerName.length || name.toLowerCase() !== lowerName) continue;
    const value = headers[i + 1]!;
    if (kept === undefined && session.listener.trustRequestId && isWellFormedRequestId(value)) {
      kept = value;
      continue;
    }
    headers.splice(i, 2);
    i -= 2;
  }
  if (kept !== undefined) return kept;
  const id = newRequestId();
  headers.push(headerName, id);
  return id;
}

let lastName = '';
let lastLower = '';

/** `name` lower-cased, remembered for the next call: the request ID field's name is one per config. */
export function lowerCased(name: string): string {
  if (name !== lastName) {
    lastName = name;
    lastLower = name.toLowerCase();
  }
  return lastLower;
}

/** Removes every `lowerName` field of a response head (the request ID is Junction's to set). */
export function withoutField(headers: string[], lowerName: string): void {
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (name.length === lowerName.length && name.toLowerCase() === lowerName) {
      headers.splice(i, 2);
      i -= 2;
    }
  }
}

/** The access log's client certificate fields, on listeners that ask for one (nginx's $ssl_client_verify). */
function clientCertFields(tls: SessionPort['tls']): Pick<AccessRecord, 'clientCert'> {
  if (tls?.asksClientCertificate !== true) return {};
  const cert = tls.clientCertificate;
  return {
    clientCert:
      cert === undefined
        ? { subject: '', verify: 'NONE' }
        : { subject: cert.subjectLine, verify: cert.verified ? 'SUCCESS' : `FAILED:${cert.verifyError}` },
  };
}
