// Typed arrays that grow: a bigger array of the same kind with the old contents at its start. The counter
// pool and index, the member list's numbers and the scan's hit list all grow this way.
type Growable = Int32Array | Uint8Array | Float64Array

/** A new array of `a`'s kind and `length` elements, `a` copied to its start, zeros after. */
export function grown<T extends Growable>(a: T, length: number): T {
  const b = new (a.constructor as new (length: number) => T)(length)
  b.set(a)
  return b
}
