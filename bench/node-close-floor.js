// Node's floor for the close scenario (a new client connection per request): the cheapest `net`
// server that accepts, reads until the end of a request head, answers one canned response and closes.
// The canned response is the backend's own answer to `GET /` with `Connection: close`, fetched once at
// start, so the client reads the same bytes as through a proxy. No HTTP parsing past finding the end
// of the head, and the backend is never contacted again: it is what accepting, answering and closing
// a connection costs Node itself, below which no Node proxy can go.
//
//   PORT=18081 BACKEND_PORT=18080 node bench/node-close-floor.js   (or bench/node-close-floor.sh)
import { connect, createServer } from 'node:net';

const port = Number(process.env.PORT);
const backendPort = Number(process.env.BACKEND_PORT);
if (!(port > 0) || !(backendPort > 0)) throw new Error('PORT and BACKEND_PORT must be set');

const response = await new Promise((resolve, reject) => {
  const chunks = [];
  const socket = connect({ port: backendPort, host: '127.0.0.1' }, () => {
    socket.end('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
  });
  socket.on('data', (chunk) => chunks.push(chunk));
  socket.on('end', () => resolve(Buffer.concat(chunks)));
  socket.on('error', reject);
});
const END = Buffer.from('\r\n\r\n', 'latin1');

const server = createServer({ noDelay: true }, (socket) => {
  socket.on('data', (chunk) => {
    // wrk's request head arrives in one read; a client that splits it gets no answer, which is fine here.
    if (chunk.indexOf(END) !== -1) socket.end(response);
  });
  socket.on('error', () => socket.destroy());
});
server.listen({ port, host: '127.0.0.1', backlog: 4096 }, () => {
  console.log(`node-close-floor listening on 127.0.0.1:${port}`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
