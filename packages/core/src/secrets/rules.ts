/** SPEC section 7: secret names are UPPER_SNAKE_CASE; values up to 64 KiB. */
export const SECRET_NAME_RE = /^[A-Z][A-Z0-9_]*$/;
export const SECRET_NAME_MAX_LENGTH = 256;
export const SECRET_VALUE_MAX_BYTES = 64 * 1024;

const NAME_RULE = 'use UPPER_SNAKE_CASE (^[A-Z][A-Z0-9_]*$), e.g. STRIPE_SECRET_KEY';

/** Why `name` is not a secret name, or null. The message states the rule and, when it helps, a fix. */
export function secretNameError(name: string): string | null {
  if (name.length > SECRET_NAME_MAX_LENGTH) {
    return `a secret name is at most ${SECRET_NAME_MAX_LENGTH} characters (this one has ${name.length})`;
  }
  if (SECRET_NAME_RE.test(name)) return null;
  const fixed = name
    .trim()
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .toUpperCase();
  const tip = fixed !== name && SECRET_NAME_RE.test(fixed) ? ` (try "${fixed}")` : '';
  // The name is echoed (it is not secret); it is cut short so a pasted value cannot flood a message.
  const shown = name.length > 40 ? `${name.slice(0, 40)}…` : name;
  return `"${shown}" is not a valid secret name: ${NAME_RULE}${tip}`;
}

/**
 * Why `value` cannot be stored, or null. Never quotes the value: callers put this message in
 * errors, which must not carry secret material.
 */
export function secretValueError(value: string): string | null {
  const bytes = utf8Length(value);
  if (bytes > SECRET_VALUE_MAX_BYTES) {
    return `the value is ${bytes} bytes; values are at most 64 KiB (${SECRET_VALUE_MAX_BYTES} bytes)`;
  }
  // A process environment cannot hold NUL, so such a value could never reach `latch run`.
  if (value.includes('\0'))
    return 'the value contains a NUL character, which environment variables cannot hold';
  return null;
}

/** UTF-8 byte length without allocating (core stays free of Node's Buffer). */
export function utf8Length(value: string): number {
  let bytes = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && (value.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** `sk_live_…` → `••••••••`: list views show that a value exists, never any part of it. */
export const MASKED_VALUE = '••••••••';
