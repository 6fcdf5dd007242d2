import { describe, expect, it } from 'vitest';
import { murmur3Bytes, murmur3String } from './murmur3.ts';

// Expected values: the three given MurmurHash3_x86_32 vectors, plus vectors
// computed with an independent reference implementation (a direct Python port
// of Austin Appleby's MurmurHash3_x86_32) over the UTF-8 bytes of each input.
const SEED0_VECTORS: [string, number][] = [
  ['', 0x00000000],
  ['hello', 0x248bfa47],
  ['The quick brown fox jumps over the lazy dog', 0x2e4ff723],
  // every tail length (0..3 bytes after the 4-byte blocks)
  ['a', 0x3c2569b2],
  ['ab', 0x9bbfd75f],
  ['abc', 0xb3dd93fa],
  ['abcd', 0x43ed676a],
  ['abcde', 0xe89b9af6],
  ['k42', 0xaea142ea],
  ['user-1234567', 0x78a2d6b0],
  ['key with spaces and 1234567890', 0xfc110161],
  ['\u0000', 0x514e28b7],
];

// Multi-byte UTF-8: 2-, 3- and 4-byte sequences (surrogate pairs in JS strings).
const UTF8_VECTORS: [string, number, number][] = [
  // text, hash, UTF-8 byte length
  ['héllo', 0xbc9fa068, 6],
  ['日本語', 0xa5a47297, 9],
  ['😀', 0xbeb42efa, 4],
  ['Ünïcödé ✓ 𝄞', 0xab211936, 20],
];

describe('murmur3String', () => {
  it.each(SEED0_VECTORS)('hashes %j like MurmurHash3_x86_32 with seed 0', (text, expected) => {
    expect(murmur3String(text)).toBe(expected);
  });

  it.each(UTF8_VECTORS)('hashes the UTF-8 bytes of %j', (text, expected, byteLength) => {
    const bytes = new TextEncoder().encode(text);
    expect(bytes.length).toBe(byteLength);
    expect(murmur3String(text)).toBe(expected);
    expect(murmur3Bytes(bytes)).toBe(expected);
  });

  it('hashes strings longer than its initial scratch buffer (ASCII and multi-byte)', () => {
    expect(murmur3String('x'.repeat(1000))).toBe(0x7120440e);
    expect(murmur3String('é'.repeat(300))).toBe(0xefefcb00);
    expect(murmur3String('😀'.repeat(100))).toBe(0xfb9daf00);
    // and short ones still hash right after the scratch buffer grew
    expect(murmur3String('hello')).toBe(0x248bfa47);
  });

  it('honours the seed', () => {
    expect(murmur3String('hello', 0x9747b28c)).toBe(0x5d7f56e8);
    expect(murmur3String('abc', 42)).toBe(0x4e4f1e68);
    expect(murmur3String('abc', 42)).not.toBe(murmur3String('abc'));
  });

  it('always returns an unsigned 32-bit integer', () => {
    for (let i = 0; i < 2000; i++) {
      const h = murmur3String(`key-${i}`);
      expect(Number.isInteger(h)).toBe(true);
      expect(h).toBeGreaterThanOrEqual(0);
      expect(h).toBeLessThanOrEqual(0xffffffff);
    }
  });
});

describe('murmur3Bytes', () => {
  it('hashes only the first `length` bytes', () => {
    const bytes = new TextEncoder().encode('abcdefgh');
    expect(murmur3Bytes(bytes, 5)).toBe(0xe89b9af6); // "abcde"
    expect(murmur3Bytes(bytes, 0)).toBe(0);
  });

  it('treats bytes as unsigned (high bit set)', () => {
    expect(murmur3Bytes(new Uint8Array(7).fill(0xff))).toBe(0x011d1da7);
    expect(murmur3Bytes(Uint8Array.from({ length: 256 }, (_, i) => i))).toBe(0xe40a0e56);
  });
});
