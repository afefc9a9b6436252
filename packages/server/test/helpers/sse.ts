export type SseFrame = { id?: string; event: string; data: Record<string, unknown> };

/** Reads server-sent events from `url + path` until `until` says stop (or the stream ends). */
export async function readSse(
  url: string,
  token: string,
  until: (frames: SseFrame[]) => boolean,
  headers: Record<string, string> = {},
) {
  const ac = new AbortController();
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${token}`, ...headers },
    signal: ac.signal,
  });
  const frames: SseFrame[] = [];
  if (!res.ok || !res.body) return { res, frames, done: Promise.resolve(), close: () => ac.abort() };
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const done = (async () => {
    while (!until(frames)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end = buffer.indexOf('\n\n');
      while (end !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
        const f: Partial<SseFrame> = {};
        for (const line of block.split('\n')) {
          if (line.startsWith('id: ')) f.id = line.slice(4);
          if (line.startsWith('event: ')) f.event = line.slice(7);
          if (line.startsWith('data: ')) f.data = JSON.parse(line.slice(6));
        }
        if (f.event) frames.push(f as SseFrame);
      }
    }
  })();
  return { res, frames, done, close: () => ac.abort() };
}
