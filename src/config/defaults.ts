/**
 * The defaults a config gets for every key it leaves out. They are chosen to be safe on the open
 * internet (bounded heads, bounded waits, loopback-only listeners), not to be generous.
 * docs/configuration.md lists the same values; change both together.
 */

/** Loopback, so a config that forgets `address` never exposes Junction by accident. */
export const DEFAULT_LISTENER_ADDRESS = '127.0.0.1';
/** The admin API listens on loopback unless told otherwise (and then only with a token). */
export const DEFAULT_ADMIN_ADDRESS = '127.0.0.1';
/** One process, no cluster module: what Junction always was. `auto` is one worker per core. */
export const DEFAULT_WORKERS = 1;
/** More worker processes than this is a typo, not a machine (each holds its own heap). */
export const MAX_WORKERS = 1024;
export const DEFAULT_MAX_CONNECTIONS = 10_000;
/** Sockets waiting for a session slot longer than this are closed unanswered (Sōzu). */
export const DEFAULT_ACCEPT_QUEUE_TIMEOUT_MS = 10_000;
/** Sockets waiting past this many are dropped, newest first. */
export const DEFAULT_ACCEPT_QUEUE_SIZE = 1024;
export const MAX_ACCEPT_QUEUE_SIZE = 1_000_000;
/**
 * The kernel's queue of connections not yet accepted (listen(2)'s backlog). Node's default (511)
 * overflows when thousands of clients connect at once, and each overflow costs a client SYN retries
 * of a second or more. The kernel caps it at net.core.somaxconn.
 */
export const DEFAULT_LISTEN_BACKLOG = 4096;
/** listen(2) takes an int; Linux caps it at net.core.somaxconn, itself at most 2^31-1. */
export const MAX_LISTEN_BACKLOG = 2_147_483_647;
/**
 * Off by default: behind a load balancer or a carrier-grade NAT every client shares one address, so any
 * fixed cap would refuse legitimate traffic; `max_connections` already bounds the total.
 */
export const DEFAULT_MAX_CONNECTIONS_PER_CLIENT = 0;

/** HTTPS listeners: TLS 1.2 and 1.3 only (1.0 and 1.1 are deprecated, RFC 8996). */
export const DEFAULT_TLS_MIN_VERSION = 'TLSv1.2';
export const DEFAULT_TLS_MAX_VERSION = 'TLSv1.3';
export const DEFAULT_TLS_ALPN: readonly string[] = ['http/1.1'];

/** HTTP/2 connections from clients: nginx's stream limit, the RFC's window and table, flood budgets. */
export const DEFAULT_H2_MAX_CONCURRENT_STREAMS = 128;
export const DEFAULT_H2_MAX_HEADER_LIST_SIZE = 64 * 1024;
export const DEFAULT_H2_HEADER_TABLE_SIZE = 4096;
export const DEFAULT_H2_INITIAL_WINDOW_SIZE = 65_535;
/** Client resets per second: browsers cancel a few; CVE-2023-44487 sends thousands. */
export const DEFAULT_H2_MAX_RESETS = 100;
export const DEFAULT_H2_MAX_CONTROL_FRAMES = 100;
/**
 * Forward-secret AEAD ciphers only (Mozilla's "intermediate" list without the slow DHE ones), TLS 1.3
 * suites first. Node's own default still allows CBC ciphers with TLS 1.2.
 */
export const DEFAULT_TLS_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');
/** A client has this long to finish its handshake; a slower one holds a connection slot for nothing. */
export const DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
export const DEFAULT_TLS_STRICT_SNI_BINDING = false;
/** Redirects to HTTPS are permanent by default (browsers cache them); 308 keeps the method. */
export const DEFAULT_HTTPS_REDIRECT_STATUS = 301;
export const DEFAULT_HTTPS_PORT = 443;
/** A year: what the HSTS preload list requires and what most sites use. */
export const DEFAULT_HSTS_MAX_AGE_SECONDS = 31_536_000;
/** Two years: beyond it browsers cap the value anyway. */
export const MAX_HSTS_MAX_AGE_SECONDS = 63_072_000;

export const DEFAULT_STRATEGY_KIND = 'round-robin';
/** Connect attempts per request, the first one included. */
export const DEFAULT_RETRY_ATTEMPTS = 3;
export const MAX_RETRY_ATTEMPTS = 10;
/** A connect failure is always retried; besides it, a reset before the response head (nginx's `error`). */
export const DEFAULT_RETRY_ON: readonly string[] = ['reset'];
/** Retries may be at most 20 % of requests, but 10 a second are always allowed (Finagle's budget). */
export const DEFAULT_RETRY_BUDGET_RATIO = 0.2;
export const DEFAULT_RETRY_BUDGET_MIN_PER_SECOND = 10;
/** Envoy's defaults: full jitter over 25 ms doubling up to 250 ms. */
export const DEFAULT_RETRY_BACKOFF_BASE_MS = 25;
export const DEFAULT_RETRY_BACKOFF_MAX_MS = 250;

/** Passive health: Sōzu ejects after 3 connect failures in a row; ejections double from 1 s to 30 s. */
export const DEFAULT_CONSECUTIVE_FAILURES = 3;
export const DEFAULT_FAILURE_RATE_MIN_REQUESTS = 20;
export const DEFAULT_FAILURE_RATE_WINDOW_MS = 10_000;
export const DEFAULT_EJECTION_MS = 1_000;
export const DEFAULT_MAX_EJECTION_MS = 30_000;
/**
 * Passive health holds at most half a cluster ejected (at least one backend, never the last healthy
 * one): ejection protects clients from a bad backend, and past half of them the evidence more likely
 * says the requests or the proxy are at fault, while the rest would take the whole load (Envoy caps
 * at 10 % for large fleets; with small clusters that is one backend, and one of two is already half).
 */
export const DEFAULT_MAX_EJECTION_RATIO = 0.5;
/** Envoy's healthy panic threshold: with fewer than half the backends healthy, use them all. */
export const DEFAULT_PANIC_THRESHOLD = 0.5;

/** Active checks, when a cluster asks for them: every 5 s, 2 s each, 2 up / 3 down (HAProxy: rise 2, fall 3). */
export const DEFAULT_CHECK_INTERVAL_MS = 5_000;
export const DEFAULT_CHECK_TIMEOUT_MS = 2_000;
export const DEFAULT_HEALTHY_THRESHOLD = 2;
export const DEFAULT_UNHEALTHY_THRESHOLD = 3;
export const DEFAULT_CHECK_EXPECT: readonly (readonly [number, number])[] = [[200, 399]];

/** Idle connections kept per backend: high, so thousands of client connections keep their reuse. */
export const DEFAULT_POOL_MAX_IDLE = 4096;
export const DEFAULT_POOL_MAX_TOTAL = 0;
export const DEFAULT_POOL_MAX_REQUESTS_PER_CONNECTION = 0;
export const MAX_POOL_CONNECTIONS = 1_000_000;

export const DEFAULT_DNS_MIN_TTL_MS = 1_000;
export const DEFAULT_DNS_MAX_TTL_MS = 300_000;

export const DEFAULT_BACKEND_WEIGHT = 1;
export const MAX_BACKEND_WEIGHT = 1000;

export const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;
export const DEFAULT_CLIENT_HEAD_TIMEOUT_MS = 10_000;
export const DEFAULT_CLIENT_IDLE_TIMEOUT_MS = 60_000;
export const DEFAULT_BACKEND_RESPONSE_TIMEOUT_MS = 60_000;
export const DEFAULT_BACKEND_IDLE_TIMEOUT_MS = 30_000;
/** A backend that stops sending its response body for this long: the response is cut (nginx: proxy_read_timeout 60 s). */
export const DEFAULT_BACKEND_BODY_TIMEOUT_MS = 60_000;
/** A client that stops sending its request body for this long gets 408 (nginx: client_body_timeout 60 s). */
export const DEFAULT_CLIENT_BODY_TIMEOUT_MS = 60_000;
/**
 * A tunnel (WebSocket…) with no byte moving either way is closed after two minutes: longer than the 60 s
 * of nginx's proxy_read_timeout and AWS load balancers and the 100 s Cloudflare allows, so heartbeats
 * tuned for those (usually 25 to 60 s) keep tunnels open, while a dead peer's tunnel is reclaimed soon.
 */
export const DEFAULT_TUNNEL_IDLE_TIMEOUT_MS = 120_000;
/** Connections are recycled after an hour, so no client holds one forever (0 turns it off). */
export const DEFAULT_MAX_SESSION_MS = 3_600_000;
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
/**
 * Node's timers hold a signed 32-bit millisecond count; a longer delay silently becomes 1 ms.
 * So no duration may exceed it (about 24.8 days).
 */
export const MAX_DURATION_MS = 2 ** 31 - 1;

export const DEFAULT_MAX_HEAD_BYTES = 32 * 1024;
/** A pipelining client may send this much ahead of the response in progress before reading pauses. */
export const DEFAULT_MAX_PIPELINED_BYTES = 64 * 1024;
export const DEFAULT_MAX_HEADER_COUNT = 100;
export const DEFAULT_MAX_REQUEST_LINE_BYTES = 8 * 1024;
/**
 * Response heads come from backends the operator runs, and carry more than requests do (Set-Cookie,
 * CSP, tracing fields): 64 KiB and 200 fields, between nginx's 4-8 KiB proxy_buffer_size and HAProxy's
 * 16 KiB tune.bufsize on the low side and Envoy's 60 KiB and 100 headers, so an ordinary answer is never
 * turned into a 502. Only the head is held in memory while it arrives.
 */
export const DEFAULT_MAX_RESPONSE_HEAD_BYTES = 64 * 1024;
export const DEFAULT_MAX_RESPONSE_HEADER_COUNT = 200;
/**
 * Request bodies are streamed, never buffered whole, so a large body costs Junction no memory: the
 * default only stops a client from feeding a backend without end. 1 GiB lets uploads through that
 * nginx's 1 MiB would refuse; routes that take no uploads should set a small `max_body_size`.
 */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024 * 1024;
/** 1 TiB: beyond any real upload; the bound only keeps the value a safe integer. */
export const MAX_BODY_BYTES = 1024 ** 4;
/** Bounds for the head limits: below these no real client gets through; above, memory per session balloons. */
export const MIN_HEAD_BYTES = 1024;
export const MAX_HEAD_BYTES = 1024 * 1024;
export const MAX_HEADER_COUNT = 10_000;
export const MAX_MAX_CONNECTIONS = 1_000_000;

export const DEFAULT_X_FORWARDED_FOR = true;
export const DEFAULT_X_FORWARDED_PROTO = true;
export const DEFAULT_X_FORWARDED_HOST = true;

/** The header that carries request IDs (`request_id.header`). */
export const DEFAULT_REQUEST_ID_HEADER = 'X-Request-ID';

/**
 * `tracing.start_traces`: a request without a valid `traceparent` gets a new trace, so every access
 * line has a trace_id and every upstream request a `traceparent` (as Envoy and Traefik do with tracing on).
 */
export const DEFAULT_START_TRACES = true;

/** `cache.memory_size`: the memory tier of the HTTP cache (cache-schema.ts). */
export const DEFAULT_CACHE_MEMORY_BYTES = 64 * 1024 * 1024;
/** `cache.max_object_size`: larger responses are sent on but not stored. */
export const DEFAULT_CACHE_MAX_OBJECT_BYTES = 8 * 1024 * 1024;
/** `cache.collapse_timeout`: how long a request waits for another one filling the same key. */
export const DEFAULT_CACHE_COLLAPSE_TIMEOUT_MS = 5_000;
/**
 * `cache.background_fill.threshold`: Traffic Server's default (background_fill_completed_threshold
 * 0.5): a response more than half read when its client leaves is finished into the cache.
 */
export const DEFAULT_CACHE_BACKGROUND_FILL_THRESHOLD = 0.5;
/** `cache.background_fill.timeout`: the longest a background fill reads after its client left. */
export const DEFAULT_CACHE_BACKGROUND_FILL_TIMEOUT_MS = 30_000;
/** `cache.disk_size`: the disk tier's bound, when `cache.path` turns it on. */
export const DEFAULT_CACHE_DISK_BYTES = 1024 * 1024 * 1024;
