/** What one finished transaction (or TCP session, or tunnel) tells the access log. */
export interface AccessRecord {
  /** 'http': a request/response; 'tunnel': an upgraded request at the tunnel's end; 'tcp': a TCP session. */
  readonly kind: 'http' | 'tunnel' | 'tcp';
  /** Wall-clock time the transaction ended, ms since the epoch. */
  readonly time: number;
  readonly requestId: string | null;
  readonly clientAddress: string;
  readonly clientPort: number;
  readonly listener: string;
  readonly method: string | null;
  readonly scheme: string;
  readonly host: string | null;
  /** Path with its query. */
  readonly path: string | null;
  readonly protocol: string;
  /** 0 when nothing was answered (the client left, a TCP session). */
  readonly status: number;
  readonly durationMs: number;
  /** From the start to the upstream's response head; null when no upstream answered. */
  readonly upstreamMs: number | null;
  readonly bytesReceived: number;
  readonly bytesSent: number;
  readonly route: string | null;
  readonly cluster: string | null;
  readonly upstream: string | null;
  readonly attempts: number;
  readonly errorCode: string | null;
  readonly traceId: string | null;
  readonly userAgent: string | null;
  readonly referer: string | null;
  /** TLS version and SNI on TLS connections; null otherwise. */
  readonly tlsVersion: string | null;
  readonly sni: string | null;
  /**
   * The client certificate on a listener that asks for one (`client_certificates`), as nginx logs
   * `$ssl_client_s_dn` and `$ssl_client_verify`: its one-line subject ('' without one) and `SUCCESS`,
   * `FAILED:<reason>` or `NONE`. Absent where the listener does not ask.
   */
  readonly clientCert?: { readonly subject: string; readonly verify: string } | undefined;
  /** The HTTP cache's status (hit, miss, stale, revalidated, bypass); absent off caching routes. */
  readonly cache?: string | undefined;
}
