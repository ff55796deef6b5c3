/**
 * gRPC end to end: a @grpc/grpc-js client → Junction (an h2c listener, and h2 over TLS) → a grpc-js
 * server behind an h2c cluster. The service is defined without .proto files (Buffers in and out).
 * Unary, server, client and bidi streaming; flow control through Junction when the client stops
 * reading; a status and metadata carried in trailers; metadata both ways; the client's deadline
 * reaching the backend; a backend down (UNAVAILABLE); and a GOAWAY from the backend mid-flight.
 */
import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { constants, type ServerHttp2Stream } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, onTestFinished, test } from 'vitest';
import { closedPort } from '../support/backends.ts';
import { createTestCa } from '../support/certs.ts';
import { h2Backend } from '../support/h2-backends.ts';
import { startJunctionFromYaml, type RunningJunction } from '../support/start-junction.ts';
import { waitFor } from '../support/wait-for.ts';

const same = (b: Buffer): Buffer => b;
const method = (name: string, requestStream: boolean, responseStream: boolean) => ({
  path: `/junction.test.Echo/${name}`,
  requestStream,
  responseStream,
  requestSerialize: same,
  requestDeserialize: same,
  responseSerialize: same,
  responseDeserialize: same,
});
const ECHO = {
  unary: method('Unary', false, false),
  serverStream: method('ServerStream', false, true),
  clientStream: method('ClientStream', true, false),
  bidi: method('Bidi', true, true),
} satisfies grpc.ServiceDefinition;

interface EchoClient extends grpc.Client {
  unary(
    request: Buffer,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, response?: Buffer) => void,
  ): grpc.ClientUnaryCall;
  serverStream(request: Buffer, metadata?: grpc.Metadata): grpc.ClientReadableStream<Buffer>;
  clientStream(
    callback: (error: grpc.ServiceError | null, response?: Buffer) => void,
  ): grpc.ClientWritableStream<Buffer>;
  bidi(): grpc.ClientDuplexStream<Buffer, Buffer>;
}
const EchoClientCtor = grpc.makeGenericClientConstructor(ECHO, 'Echo') as unknown as new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ClientOptions,
) => EchoClient;

/** What the backend saw, for the tests to check. */
interface Seen {
  metadata: grpc.Metadata[];
  deadlines: (Date | number)[];
  /** Bytes the server-streaming handler got to write (flow control holds it back when nobody reads). */
  streamed: number;
}

/** The grpc-js backend: echoes, counts, fails on request. */
async function grpcBackend(): Promise<{ port: number; seen: Seen }> {
  const seen: Seen = { metadata: [], deadlines: [], streamed: 0 };
  const server = new grpc.Server();
  server.addService(ECHO, {
    unary: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      seen.metadata.push(call.metadata);
      seen.deadlines.push(call.getDeadline());
      const text = call.request.toString();
      if (text === 'fail') {
        const trailer = new grpc.Metadata();
        trailer.set('x-why', 'asked-to');
        callback({ code: grpc.status.NOT_FOUND, details: 'no such thing', metadata: trailer });
        return;
      }
      const initial = new grpc.Metadata();
      initial.set('x-initial', 'from-backend');
      call.sendMetadata(initial);
      const trailer = new grpc.Metadata();
      trailer.set('x-trailer', 'done');
      callback(null, Buffer.from(`echo:${text}`), trailer);
    },
    serverStream: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
      const [count, size] = call.request.toString().split(',').map(Number) as [number, number];
      const chunk = Buffer.alloc(size, 98);
      let sent = 0;
      const pump = (): void => {
        while (sent < count) {
          sent++;
          seen.streamed += chunk.length;
          if (!call.write(chunk)) {
            call.once('drain', pump);
            return;
          }
        }
        if (call.request.toString().endsWith(',fail')) {
          call.emit(
            'error',
            Object.assign(new Error('stopped late'), {
              code: grpc.status.RESOURCE_EXHAUSTED,
              details: 'stopped late',
            }),
          );
          return;
        }
        call.end();
      };
      pump();
    },
    clientStream: (call: grpc.ServerReadableStream<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      let messages = 0;
      let bytes = 0;
      call.on('data', (m: Buffer) => {
        messages++;
        bytes += m.length;
      });
      call.on('end', () => {
        callback(null, Buffer.from(`${messages},${bytes}`));
      });
    },
    bidi: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      call.on('data', (m: Buffer) => {
        if (!call.write(m)) {
          call.pause();
          call.once('drain', () => call.resume());
        }
      });
      call.on('end', () => {
        call.end();
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => {
      if (error) reject(error);
      else resolve(bound);
    });
  });
  onTestFinished(() => {
    server.forceShutdown();
  });
  return { port, seen };
}

async function junctionTo(
  port: number,
  listener = '{ address: 127.0.0.1, port: 0, h2c: true }',
  baseDir?: string,
) {
  const junction: RunningJunction = await startJunctionFromYaml(
    `listeners: [${listener}]
routes: [{ match: { path: / }, cluster: grpc }]
clusters: { grpc: { protocol: h2c, backends: ['127.0.0.1:${port}'] } }`,
    baseDir === undefined ? {} : { baseDir },
  );
  onTestFinished(() => junction.close(0));
  return junction;
}

function client(
  port: number,
  credentials = grpc.credentials.createInsecure(),
  options: grpc.ClientOptions = {},
) {
  const c = new EchoClientCtor(`127.0.0.1:${port}`, credentials, options);
  onTestFinished(() => {
    c.close();
  });
  return c;
}

function unary(
  c: EchoClient,
  text: string,
  metadata = new grpc.Metadata(),
  options: grpc.CallOptions = {},
): Promise<{
  error: grpc.ServiceError | null;
  response?: Buffer;
  initial?: grpc.Metadata | undefined;
  status?: grpc.StatusObject;
}> {
  return new Promise((resolve) => {
    let initial: grpc.Metadata | undefined;
    let status: grpc.StatusObject | undefined;
    let result: { error: grpc.ServiceError | null; response?: Buffer } | undefined;
    const finish = (): void => {
      if (result !== undefined && status !== undefined) resolve({ ...result, initial, status });
    };
    const call = c.unary(Buffer.from(text), metadata, options, (error, response) => {
      result = response === undefined ? { error } : { error, response };
      finish();
    });
    call.on('metadata', (m: grpc.Metadata) => (initial = m));
    call.on('status', (s: grpc.StatusObject) => {
      status = s;
      finish();
    });
  });
}

test('unary through an h2c listener and an h2c cluster, metadata both ways, trailers kept', async () => {
  const backend = await grpcBackend();
  const junction = await junctionTo(backend.port);
  const c = client(junction.port);
  const metadata = new grpc.Metadata();
  metadata.set('x-from-client', 'hello');
  const { error, response, initial, status } = await unary(c, 'ping', metadata);
  expect(error).toBeNull();
  expect(response?.toString()).toBe('echo:ping');
  expect(backend.seen.metadata[0]!.get('x-from-client')).toEqual(['hello']);
  expect(initial?.get('x-initial')).toEqual(['from-backend']);
  expect(status?.metadata.get('x-trailer')).toEqual(['done']);
});

test('a non-OK status, its message and trailing metadata reach the client', async () => {
  const backend = await grpcBackend();
  const junction = await junctionTo(backend.port);
  const { error } = await unary(client(junction.port), 'fail');
  expect(error?.code).toBe(grpc.status.NOT_FOUND);
  expect(error?.details).toBe('no such thing');
  expect(error?.metadata.get('x-why')).toEqual(['asked-to']);
});

test('server streaming, and a status after messages, carried in real trailers', async () => {
  const backend = await grpcBackend();
  const junction = await junctionTo(backend.port);
  const c = client(junction.port);
  const read = (request: string) =>
    new Promise<{ messages: number; bytes: number; error?: grpc.ServiceError }>((resolve) => {
      let messages = 0;
      let bytes = 0;
      const call = c.serverStream(Buffer.from(request));
      call.on('data', (m: Buffer) => {
        messages++;
        bytes += m.length;
      });
      call.on('error', (error: grpc.ServiceError) => {
        resolve({ messages, bytes, error });
      });
      call.on('end', () => {
        resolve({ messages, bytes });
      });
    });
  expect(await read('200,1000')).toEqual({ messages: 200, bytes: 200_000 });
  const failed = await read('3,10,fail');
  expect(failed.messages).toBe(3);
  expect(failed.error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  expect(failed.error?.details).toBe('stopped late');
});

test('client streaming', async () => {
  const backend = await grpcBackend();
  const junction = await junctionTo(backend.port);
  const response = await new Promise<string>((resolve, reject) => {
    const call = client(junction.port).clientStream((error, reply) => {
      if (error) reject(error);
      else resolve(reply!.toString());
    });
    for (let i = 0; i < 100; i++) call.write(Buffer.alloc(1000, 99));
    call.end();
  });
  expect(response).toBe('100,100000');
});

test('bidi streaming: 32 MiB each way with backpressure, echoed message for message', async () => {
  const backend = await grpcBackend();
  const junction = await junctionTo(backend.port);
  const call = client(junction.port).bidi();
  const total = 32 * 1024 * 1024;
  const message = Buffer.alloc(64 * 1024, 100);
  let received = 0;
  const done = new Promise<void>((resolve, reject) => {
    call.on('data', (m: Buffer) => (received += m.length));
    call.on('end', resolve);
    call.on('error', reject);
  });
  let sent = 0;
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (sent < total) {
        sent += message.length;
        if (!call.write(message)) {
          call.once('drain', pump);
          return;
        }
      }
      call.end();
      resolve();
    };
    pump();
  });
  await done;
  expect(received).toBe(total);
}, 60_000);

test('a client that stops reading holds the backend back by flow control, through Junction', async () => {
  const backend = await grpcBackend();
  const junction = await junctionTo(backend.port);
  const call = client(junction.port).serverStream(Buffer.from(`1024,${64 * 1024}`)); // 64 MiB
  let received = 0;
  const ended = new Promise<void>((resolve, reject) => {
    call.on('end', resolve);
    call.on('error', reject);
  });
  call.on('data', (m: Buffer) => {
    received += m.length;
    if (received === m.length) call.pause(); // read one message, then stop
  });
  await waitFor(() => backend.seen.streamed > 0, { timeoutMs: 5000 });
  // Wait for the backend to stall: the windows and socket buffers on the way are full.
  let before = -1;
  await waitFor(
    async () => {
      const now = backend.seen.streamed;
      const still = now === before;
      before = now;
      await new Promise((resolve) => setTimeout(resolve, 250));
      return still;
    },
    { timeoutMs: 20_000 },
  );
  expect(backend.seen.streamed).toBeLessThan(16 * 1024 * 1024);
  call.resume();
  await ended;
  expect(received).toBe(1024 * 64 * 1024);
}, 120_000);

test("the client's deadline reaches the backend as grpc-timeout", async () => {
  const backend = await grpcBackend();
  const junction = await junctionTo(backend.port);
  const deadline = Date.now() + 30_000;
  const { error } = await unary(client(junction.port), 'ping', new grpc.Metadata(), { deadline });
  expect(error).toBeNull();
  const seen = backend.seen.deadlines[0]!;
  const ms = seen instanceof Date ? seen.getTime() : seen;
  expect(Number.isFinite(ms)).toBe(true);
  // The backend's deadline is the client's, less the time on the way (and grpc-timeout's rounding).
  expect(ms).toBeLessThanOrEqual(deadline + 1000);
  expect(ms).toBeGreaterThan(deadline - 10_000);
});

test('a backend down is UNAVAILABLE', async () => {
  const junction = await junctionTo(await closedPort());
  const { error } = await unary(client(junction.port), 'ping');
  expect(error?.code).toBe(grpc.status.UNAVAILABLE);
});

test('over h2 (TLS, ALPN) from the client too', async () => {
  const backend = await grpcBackend();
  const ca = createTestCa();
  onTestFinished(() => {
    ca.close();
  });
  const site = ca.issue(['grpc.test']);
  const dir = mkdtempSync(join(tmpdir(), 'junction-grpc-'));
  onTestFinished(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  writeFileSync(join(dir, 'site.pem'), site.cert);
  writeFileSync(join(dir, 'site.key'), site.key);
  const junction = await junctionTo(
    backend.port,
    '{ address: 127.0.0.1, port: 0, tls: { certificates: [{ cert_file: site.pem, key_file: site.key }], alpn: [h2, http/1.1] } }',
    dir,
  );
  const c = client(junction.port, grpc.credentials.createSsl(Buffer.from(ca.cert)), {
    'grpc.ssl_target_name_override': 'grpc.test',
  });
  const { error, response } = await unary(c, 'secure');
  expect(error).toBeNull();
  expect(response?.toString()).toBe('echo:secure');
});

test('GOAWAY from the backend mid-flight: the call in flight finishes, the next goes on a new connection', async () => {
  /** A minimal gRPC unary answer over node:http2: one length-prefixed message, then grpc-status 0. */
  const answer = (stream: ServerHttp2Stream, text: string): void => {
    const payload = Buffer.from(text);
    const frame = Buffer.alloc(5 + payload.length);
    frame.writeUInt32BE(payload.length, 1);
    payload.copy(frame, 5);
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => {
      stream.sendTrailers({ 'grpc-status': '0' });
    });
    stream.end(frame);
  };
  let calls = 0;
  const backend = await h2Backend((stream, _headers, session) => {
    stream.resume();
    calls++;
    if (calls === 1) {
      session.goaway(constants.NGHTTP2_NO_ERROR, stream.id);
      setTimeout(() => {
        answer(stream, 'first');
      }, 300);
      return;
    }
    answer(stream, `call ${calls}`);
  });
  const junction = await junctionTo(backend.port);
  const c = client(junction.port);
  const first = unary(c, 'a');
  await waitFor(() => calls === 1, { timeoutMs: 5000 });
  const second = await unary(c, 'b');
  expect(second.error).toBeNull();
  expect(second.response?.toString()).toBe('call 2');
  const done = await first;
  expect(done.error).toBeNull();
  expect(done.response?.toString()).toBe('first');
  expect(backend.sessions).toHaveLength(2);
});
