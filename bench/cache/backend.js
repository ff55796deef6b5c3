// The backend of bench/cache/run.sh: 1 KiB answers, cacheable under /hit/, `no-store` under /miss/.
import { createServer } from 'node:http';

const body = Buffer.alloc(1024, 'x');
const server = createServer((req, res) => {
  const cacheable = req.url?.startsWith('/hit/') ?? false;
  res.writeHead(200, {
    'content-type': 'text/plain',
    'content-length': body.length,
    'cache-control': cacheable ? 'max-age=600' : 'no-store',
  });
  res.end(body);
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  console.log(`backend ${server.address().port}`);
});
