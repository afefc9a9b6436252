import type { IncomingMessage } from 'node:http';

export type StreamFrame = { id: string | undefined; event: string; data: string };

/** Splits a text/event-stream body into frames (comments and `retry:` lines dropped). */
export function createFrameParser(onFrame: (f: StreamFrame) => void) {
  let buffer = '';
  return (chunk: string) => {
    buffer += chunk.replace(/\r\n?/g, '\n');
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
      let id: string | undefined;
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') id = value;
        else if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length > 0 || id !== undefined) onFrame({ id, event, data: data.join('\n') });
    }
  };
}

export type OpenedStream = { status: number; body: string | null; res: IncomingMessage | null };

/**
 * Opens a server-sent event stream with node:http (the CLI avoids fetch's start-up cost). A
 * non-200 answer is read whole and handed back, so the caller can show the server's error.
 */
export async function openStream(
  url: string,
  headers: Record<string, string>,
  onRequest: (abort: () => void) => void,
): Promise<OpenedStream> {
  const target = new URL(url);
  const mod = target.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise((resolve, reject) => {
    const req = mod.request(
      target,
      { method: 'GET', headers: { accept: 'text/event-stream', ...headers }, agent: false },
      (res) => {
        res.setEncoding('utf8');
        if (res.statusCode === 200) return resolve({ status: 200, body: null, res });
        let body = '';
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, res: null }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    onRequest(() => req.destroy());
    req.end();
  });
}
