// CRC-32 (IEEE 802.3), the checksum secret scanners expect. Written out rather than taken from
// node:zlib so that @latchkey/core stays runnable in any JavaScript runtime the SDK targets.
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC-32 of `input`, or of its first `end` characters (no slice needed on the hot path). */
export function crc32(input: string, end = input.length): number {
  let crc = 0xffffffff;
  for (let i = 0; i < end; i++) {
    // Token characters are ASCII, so a char code is its UTF-8 byte.
    crc = TABLE[(crc ^ input.charCodeAt(i)) & 0xff]! ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}
