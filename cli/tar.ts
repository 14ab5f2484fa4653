// Just enough of the tar format (POSIX ustar) for a bundle: one small file entry written in front of
// `docker save` output, and read back from the front of a bundle.

const BLOCK = 512;

export const padTo512 = (n: number) => Math.ceil(n / BLOCK) * BLOCK;

/** A ustar header + the data, padded to a whole block. */
export function tarEntry(name: string, data: Uint8Array, mtime = Math.floor(Date.now() / 1000)): Uint8Array {
  if (new TextEncoder().encode(name).length > 100) throw new Error(`tar entry name too long: ${name}`);
  const h = new Uint8Array(BLOCK);
  const put = (s: string, at: number) => h.set(new TextEncoder().encode(s), at);
  const octal = (n: number, len: number) => n.toString(8).padStart(len - 1, "0") + "\0";
  put(name, 0);
  put(octal(0o644, 8), 100);
  put(octal(0, 8), 108);
  put(octal(0, 8), 116);
  put(octal(data.byteLength, 12), 124);
  put(octal(mtime, 12), 136);
  put("        ", 148); // checksum is computed with this field as spaces
  put("0", 156);
  put("ustar\0", 257);
  put("00", 263);
  let sum = 0;
  for (const b of h) sum += b;
  put(octal(sum, 7) + " ", 148);
  const out = new Uint8Array(BLOCK + padTo512(data.byteLength));
  out.set(h, 0);
  out.set(data, BLOCK);
  return out;
}

/** Name and size of the entry whose header is `h` (512 bytes); null when it is not a tar header. */
export function readTarHeader(h: Uint8Array): { name: string; size: number } | null {
  if (h.byteLength < BLOCK) return null;
  const text = (at: number, len: number) => new TextDecoder().decode(h.subarray(at, at + len)).replace(/\0.*$/s, "");
  const stored = parseInt(text(148, 8).trim(), 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
  if (!Number.isFinite(stored) || stored !== sum) return null;
  return { name: text(0, 100), size: parseInt(text(124, 12).trim(), 8) };
}
