// The benchmark's webhook receiver, in its own process so it does not share an event loop with
// the worker it measures: answers 204 at once; records, for payloads that carry `t0` (epoch ms),
// how long after t0 each arrived. GET /stats returns and resets those latencies.
import http from 'node:http';

let latencies = [];
let count = 0;
const server = http.createServer((req, res) => {
  if (req.method === 'GET') {
    res.end(JSON.stringify({ count, latencies }));
    latencies = [];
    count = 0;
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    count++;
    const now = performance.timeOrigin + performance.now();
    try {
      const t0 = JSON.parse(Buffer.concat(chunks).toString()).t0;
      if (typeof t0 === 'number') latencies.push(now - t0);
    } catch {}
    res.writeHead(204).end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(`RECEIVER http://127.0.0.1:${server.address().port}`));
