import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { useTestDatabase } from '../helpers/db.js';

const db = useTestDatabase();
let secure: TestApp;
let plain: TestApp;
let port: number;

beforeAll(async () => {
  secure = await createTestApp(db.database, { publicUrl: 'https://latch.example.com' });
  plain = await createTestApp(db.database, { publicUrl: 'http://127.0.0.1:7420' });
  await secure.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = secure.app.server.address();
  port = typeof addr === 'object' && addr ? addr.port : 0;
});
afterAll(async () => {
  await secure?.app.close();
  await plain?.app.close();
});

/** Raw bytes over TCP: fetch cannot send a request Node's parser refuses, and we want its answer. */
function rawRequest(head: string): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (d) => {
      data += d.toString('utf8');
    });
    socket.on('error', () => {}); // the server closes after answering; a reset is fine
    socket.on('close', () => {
      const [headers = '', body = ''] = data.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(headers)?.[1] ?? 0);
      if (!status) reject(new Error(`no HTTP answer: ${JSON.stringify(data.slice(0, 200))}`));
      else resolve({ status, headers, body });
    });
    socket.write(head);
  });
}

describe('answers Node’s parser gives, in the API error format', () => {
  it('a URL over the limit answers 414 URI_TOO_LONG with a request id and hint', async () => {
    const res = await rawRequest(`GET /api/v1/me?q=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(res.status).toBe(414);
    expect(res.headers).toMatch(/content-type: application\/json/i);
    const { error } = JSON.parse(res.body);
    expect(error).toMatchObject({ code: 'URI_TOO_LONG', requestId: expect.stringMatching(/^req_/) });
    expect(error.hint).toContain('KiB');
    expect(res.headers).toContain(`X-Request-Id: ${error.requestId}`);
    expect(res.headers).toMatch(/strict-transport-security: max-age=31536000/i);
  });

  it('headers over the limit answer 431 HEADERS_TOO_LARGE', async () => {
    const res = await rawRequest(
      `GET /health HTTP/1.1\r\nHost: x\r\nCookie: ${'c'.repeat(5_000)}\r\nX-A: ${'a'.repeat(6_000)}\r\nX-B: ${'b'.repeat(6_000)}\r\n\r\n`,
    );
    expect(res.status).toBe(431);
    const { error } = JSON.parse(res.body);
    expect(error).toMatchObject({ code: 'HEADERS_TOO_LARGE', requestId: expect.stringMatching(/^req_/) });
    expect(error.hint).toContain('cookies');
  });

  it('a request that is not HTTP answers 400 in the same format', async () => {
    const res = await rawRequest('NOT HTTP AT ALL\r\n\r\n');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error.code).toBe('INVALID_INPUT');
  });
});

describe('HSTS', () => {
  it('is sent on every answer when LATCH_PUBLIC_URL is https, over the real server too', async () => {
    for (const url of ['/health', '/api/v1/me', '/nope']) {
      const res = await secure.app.inject({ url });
      expect(res.headers['strict-transport-security'], url).toBe('max-age=31536000; includeSubDomains');
    }
    const real = await fetch(`http://127.0.0.1:${port}/health`);
    expect(real.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
  });

  it('is not sent when the public URL is plain http', async () => {
    const res = await plain.app.inject({ url: '/health' });
    expect(res.headers['strict-transport-security']).toBeUndefined();
  });
});
