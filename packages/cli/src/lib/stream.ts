import type { IncomingMessage } from 'node:http';
import { ApiError, type ErrorCode, ErrorCodes, isErrorBody } from '@latchkey/core';
import { NotSignedInError } from './client.js';
import { NetworkError } from './http.js';
import type { Io } from './io.js';

/**
 * Opens a streamed answer (NDJSON export) and hands back its body as it arrives: the typed
 * client buffers whole answers, which a million-row export must not. An error answer is read
 * whole and thrown as the same ApiError the client would throw, so errors print alike.
 */
export async function openStream(io: Io, url: string, accept: string): Promise<IncomingMessage> {
  const token = io.context.token;
  if (!token) throw new NotSignedInError(io.api.apiUrl);
  const target = new URL(url);
  const mod = target.protocol === 'https:' ? await import('node:https') : await import('node:http');
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = mod.request(
      target,
      { method: 'GET', headers: { accept, authorization: `Bearer ${token}` }, agent: false },
      resolve,
    );
    req.setTimeout(30_000, () => req.destroy(new NetworkError(target.origin, 'no answer within 30 s')));
    req.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        err instanceof NetworkError ? err : new NetworkError(target.origin, err.code ?? err.message, err),
      ),
    );
    req.end();
  });
  // Once the answer has started, a slow consumer is not a dead server.
  res.socket?.setTimeout(0);
  const status = res.statusCode ?? 0;
  if (status >= 200 && status < 300) return res;
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  throw errorOf(status, Buffer.concat(chunks).toString('utf8'), target.origin);
}

function errorOf(status: number, text: string, origin: string): ApiError {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    data = undefined;
  }
  if (isErrorBody(data)) {
    const e = data.error;
    const code: ErrorCode = (ErrorCodes as readonly string[]).includes(e.code)
      ? (e.code as ErrorCode)
      : 'INTERNAL';
    return new ApiError(code, e.message, {
      httpStatus: status,
      ...(e.hint ? { hint: e.hint } : {}),
      ...(e.requestId ? { requestId: e.requestId } : {}),
    });
  }
  return new ApiError(
    status >= 500 ? 'SERVICE_UNAVAILABLE' : 'INTERNAL',
    `The server at ${origin} answered ${status}.`,
    {
      httpStatus: status,
      hint: 'Check that the URL points at an up-to-date Latchkey server.',
    },
  );
}
