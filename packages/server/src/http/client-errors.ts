import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { AppError } from '@latchkey/core';
import type { ConnectionError, FastifyInstance } from 'fastify';

/** Node's default, stated: the request line and all headers together. */
export const MAX_HEADER_BYTES = 16 * 1024;

export const HSTS_VALUE = 'max-age=31536000; includeSubDomains';

// Fastify types rawPacket as a JSON-ified Buffer; at run time it is the Buffer itself.
type ClientError = Omit<ConnectionError, 'rawPacket'> & { rawPacket?: Buffer };

/**
 * Node's parser counts the request line with the headers, so an oversized URL and oversized
 * headers are the same error (HPE_HEADER_OVERFLOW). `rawPacket` is the chunk being parsed when
 * the budget ran out: if the request line is not finished in it, or takes most of the budget, the
 * URL is what is too long. A single huge header arriving in a chunk of its own is also reported as
 * 414; either answer tells the client what to shorten.
 */
function overflowOf(err: ClientError): 'uri' | 'headers' {
  const raw = err.rawPacket;
  if (!raw) return 'headers';
  const eol = raw.indexOf('\r\n');
  return eol === -1 || eol > MAX_HEADER_BYTES / 2 ? 'uri' : 'headers';
}

function errorFor(err: ClientError): AppError {
  if (err.code === 'HPE_HEADER_OVERFLOW' && overflowOf(err) === 'uri') {
    return new AppError('URI_TOO_LONG', 'The request URL is too long.', {
      hint: `Keep the URL and headers under ${MAX_HEADER_BYTES / 1024} KiB; send long input in a JSON body.`,
    });
  }
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    return new AppError('HEADERS_TOO_LARGE', 'The request headers are too large.', {
      hint: `Keep the URL and headers under ${MAX_HEADER_BYTES / 1024} KiB together (check for oversized cookies).`,
    });
  }
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new AppError('REQUEST_TIMEOUT', 'The request took too long to arrive.', {
      hint: 'Send the whole request promptly and try again.',
    });
  }
  return new AppError('INVALID_INPUT', 'The request is not valid HTTP.', {
    hint: 'Check the request line and headers.',
  });
}

/**
 * Fastify's `clientErrorHandler`: errors Node's HTTP parser raises before any request exists
 * answer in the API's error format, with a request id and (over https) HSTS, like every other.
 */
export function clientErrorHandler(opts: { requestId: () => string; hsts: boolean }) {
  return (connectionError: ConnectionError, socket: Socket): void => {
    const err = connectionError as unknown as ClientError;
    // The peer is gone: nothing to answer (as Fastify's default does).
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const appErr = errorFor(err);
    const requestId = opts.requestId();
    if (socket.writable) {
      const body = JSON.stringify(appErr.toBody(requestId));
      socket.write(
        `HTTP/1.1 ${appErr.status} ${STATUS_CODES[appErr.status] ?? 'Error'}\r\n` +
          'Content-Type: application/json; charset=utf-8\r\n' +
          `Content-Length: ${Buffer.byteLength(body)}\r\n` +
          `X-Request-Id: ${requestId}\r\n` +
          (opts.hsts ? `Strict-Transport-Security: ${HSTS_VALUE}\r\n` : '') +
          'Connection: close\r\n\r\n' +
          body,
      );
    }
    socket.destroy(err);
  };
}

/**
 * HSTS once the public URL is https: browsers then refuse plain http to this host, so a network
 * attacker cannot strip TLS from sign-in pages. Set on the raw response, so hijacked replies (the
 * SDK event stream) carry it too. Not sent over plain http, where browsers ignore it anyway.
 */
export function registerHsts(app: FastifyInstance): void {
  app.addHook('onRequest', (_req, reply, done) => {
    reply.raw.setHeader('strict-transport-security', HSTS_VALUE);
    done();
  });
}
