/**
 * node:http2 servers used only as session factories: a socket Junction accepted (and secured) is
 * given to `server.emit('connection')`, which wraps it in a ServerHttp2Session speaking nghttp2's
 * framing, HPACK and flow control with the listener's SETTINGS. The server never listens; one
 * per settings object, so a reload's new settings make new sessions use them.
 */
import { createServer, type Http2Server, type ServerHttp2Session } from 'node:http2';
import type { Socket } from 'node:net';
import type { Http2ListenerSettings } from '../config/types.ts';

/** Unacknowledged PINGs and SETTINGS Junction itself may have outstanding (Node defaults: 10 and 1000). */
const MAX_OUTSTANDING_PINGS = 10;
const MAX_OUTSTANDING_SETTINGS = 10;
/** Pseudo-header fields a request carries besides its regular fields. */
const PSEUDO_FIELDS = 4;

const servers = new WeakMap<Http2ListenerSettings, Map<number, Http2Server>>();

/** Node's server options for `settings`: what each session announces and bounds. */
export function serverOptions(settings: Http2ListenerSettings, maxHeaderCount: number) {
  return {
    settings: {
      maxConcurrentStreams: settings.maxConcurrentStreams,
      maxHeaderListSize: settings.maxHeaderListSize,
      headerTableSize: settings.headerTableSize,
      initialWindowSize: settings.initialWindowSize,
      enablePush: false,
      enableConnectProtocol: false,
    },
    maxHeaderListPairs: maxHeaderCount + PSEUDO_FIELDS,
    maxOutstandingPings: MAX_OUTSTANDING_PINGS,
    maxOutstandingSettings: MAX_OUTSTANDING_SETTINGS,
  };
}

/** A function making a server session of a socket, under `settings`. */
export function sessionFactoryFor(
  settings: Http2ListenerSettings,
  maxHeaderCount: number,
): (socket: Socket) => ServerHttp2Session {
  let byCount = servers.get(settings);
  if (byCount === undefined) {
    byCount = new Map<number, Http2Server>();
    servers.set(settings, byCount);
  }
  let server = byCount.get(maxHeaderCount);
  if (server === undefined) {
    server = createServer(serverOptions(settings, maxHeaderCount));
    byCount.set(maxHeaderCount, server);
  }
  const factory = server;
  return (socket) => {
    let made: ServerHttp2Session | undefined;
    const take = (session: ServerHttp2Session): void => {
      made = session;
    };
    factory.once('session', take);
    factory.emit('connection', socket);
    factory.off('session', take);
    if (made === undefined) throw new Error('node:http2 made no session of the socket');
    return made;
  };
}
