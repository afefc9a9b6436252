import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { AppError } from '@latchkey/core';

/**
 * Where deliveries may go. Production: https only and public addresses only (SSRF), unless
 * LATCH_WEBHOOKS_ALLOW_PRIVATE; dev and tests: anything. The check is on the resolved address,
 * and that address is the one connected to (pinned), so a name that resolves differently at
 * connect time cannot slip past it.
 */
export type TargetPolicy = { requireHttps: boolean; allowPrivate: boolean };

const blocked = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const) {
  blocked.addSubnet(net, bits, 'ipv6');
}

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  // IPv4-mapped IPv6 (::ffff:10.0.0.1) is checked as the IPv4 address it is.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return blocked.check(mapped[1] as string, 'ipv4');
  return blocked.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

const isLoopbackHost = (host: string) => host === 'localhost' || host === '[::1]' || /^127\./.test(host);

/** At create/update time: the URL's form (the address is checked again at every delivery). */
export function checkUrl(raw: string | URL, policy: TargetPolicy): URL {
  const url = typeof raw === 'string' ? new URL(raw) : raw;
  if (
    policy.requireHttps &&
    url.protocol !== 'https:' &&
    !(policy.allowPrivate && isLoopbackHost(url.hostname))
  ) {
    throw new AppError('INVALID_INPUT', `Webhook URLs must use https on this server: ${url.origin}.`, {
      hint: 'Give an https:// URL (plain http is allowed only in dev mode).',
      details: { field: 'url' },
    });
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!policy.allowPrivate && isIP(host) && isPrivateAddress(host)) throw privateTarget(url);
  return url;
}

function privateTarget(url: URL): AppError {
  return new AppError(
    'INVALID_INPUT',
    `${url.hostname} is a private, loopback or link-local address: this server does not deliver there.`,
    {
      hint: 'Use a public address, or start the server with LATCH_WEBHOOKS_ALLOW_PRIVATE=1 to allow private targets.',
      details: { field: 'url' },
    },
  );
}

export type Resolved = { address: string; family: 4 | 6 };

/** The address to connect to, refused (AppError) when policy forbids it. */
export async function resolveTarget(url: URL, policy: TargetPolicy): Promise<Resolved> {
  checkUrl(url, policy);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const literal = isIP(host);
  const all = literal
    ? [{ address: host, family: literal as 4 | 6 }]
    : ((await lookup(host, { all: true, verbatim: true })) as Resolved[]);
  if (all.length === 0) throw new Error(`${host} did not resolve`);
  // Every answer is checked: a name with one public and one private address is refused.
  if (!policy.allowPrivate && all.some((a) => isPrivateAddress(a.address))) throw privateTarget(url);
  return all[0] as Resolved;
}
