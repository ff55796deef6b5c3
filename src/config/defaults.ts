/**
 * The defaults a config gets for every key it leaves out. They are chosen to be safe on the open
 * internet (bounded heads, bounded waits, loopback-only listeners), not to be generous.
 * docs/configuration.md lists the same values; change both together.
 */

/** Loopback, so a config that forgets `address` never exposes Junction by accident. */
export const DEFAULT_LISTENER_ADDRESS = '127.0.0.1';
export const DEFAULT_MAX_CONNECTIONS = 10_000;

export const DEFAULT_STRATEGY_KIND = 'round-robin';
/** Connect attempts per request, the first one included. */
export const DEFAULT_RETRY_ATTEMPTS = 3;
export const MAX_RETRY_ATTEMPTS = 10;
export const DEFAULT_BACKEND_WEIGHT = 1;
export const MAX_BACKEND_WEIGHT = 1000;

export const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;
export const DEFAULT_CLIENT_HEAD_TIMEOUT_MS = 10_000;
export const DEFAULT_CLIENT_IDLE_TIMEOUT_MS = 60_000;
export const DEFAULT_BACKEND_RESPONSE_TIMEOUT_MS = 60_000;
export const DEFAULT_BACKEND_IDLE_TIMEOUT_MS = 30_000;
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
/**
 * Node's timers hold a signed 32-bit millisecond count; a longer delay silently becomes 1 ms.
 * So no duration may exceed it (about 24.8 days).
 */
export const MAX_DURATION_MS = 2 ** 31 - 1;

export const DEFAULT_MAX_HEAD_BYTES = 32 * 1024;
export const DEFAULT_MAX_HEADER_COUNT = 100;
export const DEFAULT_MAX_REQUEST_LINE_BYTES = 8 * 1024;
/** Bounds for the head limits: below these no real client gets through; above, memory per session balloons. */
export const MIN_HEAD_BYTES = 1024;
export const MAX_HEAD_BYTES = 1024 * 1024;
export const MAX_HEADER_COUNT = 10_000;
export const MAX_MAX_CONNECTIONS = 1_000_000;

export const DEFAULT_X_FORWARDED_FOR = true;
export const DEFAULT_X_FORWARDED_PROTO = true;
export const DEFAULT_X_FORWARDED_HOST = true;
