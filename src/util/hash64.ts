// A 64-bit string hash as two 32-bit halves (cyrb53's mixing, both halves kept whole), left in `hash64Out`
// instead of returned, so hashing a key allocates nothing. Not cryptographic: keys an attacker chooses can
// collide on purpose no more easily than on any other fast hash, and every user tolerates a collision.
export const hash64Out = { lo: 0, hi: 0 }

export function hash64(s: string): void {
  let h1 = 0xdeadbeef
  let h2 = 0x41c6ce57
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    h1 = Math.imul(h1 ^ c, 2654435761)
    h2 = Math.imul(h2 ^ c, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  hash64Out.lo = h1 | 0
  hash64Out.hi = h2 | 0
}
