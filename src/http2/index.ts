/**
 * http2: HTTP/2 from clients, over TLS (ALPN h2) and in clear (h2c with prior knowledge), on top of
 * node:http2 (nghttp2 does the framing, HPACK and flow control). Owns: handing a socket that passed
 * the accept path to an HTTP/2 server session (session-factory.ts), telling h2c from HTTP/1.1 by the
 * preface (preface.ts), the connection's deadlines, drain and flood limits (client-connection.ts), each
 * stream as a transaction's SessionPort (stream-port.ts), translating request fields into an HTTP/1.1
 * head (request-fields.ts) and the HTTP/1.1 response a transaction writes into HTTP/2 frames
 * (response-bytes.ts), and gRPC's trailers-only local answers (grpc-status.ts).
 * Must not: touch the HTTP/1.1 session (session/), route or pick upstreams, speak HTTP/2 to backends
 * (connector/), or write frames itself.
 */
export { Http2Connection, type Http2ConnectionOptions } from './client-connection.ts';
export { H2C_PREFACE, prefaceVerdict, sniffPreface, type PrefaceVerdict } from './preface.ts';
export { grpcMessage, grpcStatusOfHttp, isGrpcContentType, parseGrpcTimeout } from './grpc-status.ts';
