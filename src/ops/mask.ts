// Logs never carry a whole phone number or any message text (privacy commitment): only the archive does.

/** 13812348000 → 138****8000; shorter numbers keep two digits at each end, very short ones none. */
export function maskNumber(n: string): string {
  if (n.length >= 11) return n.slice(0, 3) + '****' + n.slice(-4)
  if (n.length >= 6) return n.slice(0, 2) + '****' + n.slice(-2)
  return '*'.repeat(n.length)
}

/** Text is reduced to its length: enough to debug, nothing to read. */
export function maskText(text: string): string {
  return `[${text.length} chars]`
}

// Seven digits is shorter than any mobile number we carry and longer than ports, counts and status codes.
const DIGIT_RUN = /\+?\d{7,}/g

/** Masks every phone-number-like run of digits inside free text (error messages, admin arguments). */
export function maskDigits(s: string): string {
  return s.replace(DIGIT_RUN, (m) => (m.startsWith('+') ? '+' + maskNumber(m.slice(1)) : maskNumber(m)))
}
