// Carriers quote their own message ids back in receipts in whatever form they like: the submit_sm_resp may
// say `00A3F2` and the receipt `a3f2` or its decimal `41970` (Jasmin DLRMapNotFound, #586/#616/#643).
// One canonical form (lower case, no leading zeros) plus the other radix on lookup covers all of these.

const HEX = /^[0-9a-f]+$/
const DEC = /^[0-9]+$/
/** SMPP 3.4 §5.2.23: message_id is at most 64 octets; longer strings are not worth a BigInt. */
const MAX_ID = 65

export function normaliseId(id: string): string {
  if (isCanonical(id)) return id
  const s = id.trim().toLowerCase()
  let i = 0
  while (i < s.length - 1 && s.charCodeAt(i) === 48) i++
  return i === 0 ? s : s.slice(i)
}

/** The canonical id first, then its reading in the other radix where that makes sense. */
export function idVariants(id: string): string[] {
  const n = normaliseId(id)
  const out = [n]
  if (n.length === 0 || n.length > MAX_ID) return out
  if (DEC.test(n)) {
    const hex = BigInt(n).toString(16)
    if (hex !== n) out.push(hex)
  }
  if (HEX.test(n)) {
    const dec = BigInt('0x' + n).toString(10)
    if (dec !== n) out.push(dec)
  }
  return out
}

/** Most carriers already send canonical ids: checking is cheaper than building new strings per message. */
function isCanonical(id: string): boolean {
  const n = id.length
  if (n === 0 || (n > 1 && id.charCodeAt(0) === 48)) return false
  for (let i = 0; i < n; i++) {
    const c = id.charCodeAt(i)
    if (c <= 32 || (c >= 65 && c <= 90)) return false
  }
  return true
}
