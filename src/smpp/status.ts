// Vendor command_status values (SMPP 3.4 reserves 0x400–0x4FF for SMSC vendors), one per reason so a client
// can tell why a message was stopped. A test keeps the README table equal to this one. Never reuse a
// retired number: clients and carriers' support scripts key on them.
import { CommandStatus } from './constants.js'

export const VendorStatus = {
  /** Account suspended by an operator or by automatic discipline. */
  ACCOUNT_SUSPENDED: 0x401,
  /** source_addr not among the account's allowed sender ids (e.g. a spoofed bank short code). */
  SENDER_NOT_ALLOWED: 0x402,
  /** The 【signature】 is missing or not one registered for the account. */
  SIGNATURE_INVALID: 0x403,
  /** 8-bit binary data_coding where the account may send text only. */
  BINARY_NOT_ALLOWED: 0x404,
  /** Recipient is not on the account's member list. */
  RECIPIENT_NOT_MEMBER: 0x405,
  /** Recipient replied to opt out of this account's messages. */
  RECIPIENT_OPTED_OUT: 0x406,
  /** Per-recipient cap of this account reached (harassment protection; a retry will not help). */
  RECIPIENT_RATE_LIMITED: 0x407,
  /** Per-recipient cap across all accounts reached. */
  RECIPIENT_GLOBAL_RATE_LIMITED: 0x408,
  /** The same content was already sent to this recipient within the window. */
  DUPLICATE_CONTENT: 0x409,
  /** The account's quiet hours are in force. */
  QUIET_HOURS: 0x40a,
  /** A long message could not be held for reassembly (limits reached) or arrived inconsistent. */
  REASSEMBLY_FAILED: 0x40b,
  /** The shared state backend is unavailable and the stage is configured fail-closed. */
  STATE_UNAVAILABLE: 0x40c,
  /** The text could not be decoded and the account rejects undecodable messages. */
  UNDECODABLE_TEXT: 0x40d,

  // Content categories of the enterprise commitment: 0x420 + n.
  CONTENT_FRAUD_BANK: 0x420,
  CONTENT_GAMBLING: 0x421,
  CONTENT_PORN_PROSTITUTION: 0x422,
  CONTENT_CONTRABAND: 0x423,
  CONTENT_FAKE_PRIZE: 0x424,
  CONTENT_FAKE_RECRUIT_MARRIAGE: 0x425,
  CONTENT_ADVERTISING_SPAM: 0x426,
  CONTENT_POLITICAL: 0x427,
  CONTENT_RUMOR_VIOLENCE_TERROR: 0x428,
  CONTENT_COMPETITOR_PROMO: 0x429,
  /** A URL / short link to a host outside the account's allowed list. */
  CONTENT_LINK_NOT_ALLOWED: 0x42a,
  /** Private contact channel (WeChat / QQ / phone) pushed in an obfuscated form. */
  CONTENT_CONTACT_OBFUSCATED: 0x42b,
} as const
export type VendorStatusName = keyof typeof VendorStatus

const ALL = new Map<number, string>([
  ...Object.entries(CommandStatus).map(([k, v]) => [v, k] as [number, string]),
  ...Object.entries(VendorStatus).map(([k, v]) => [v, `SG_${k}`] as [number, string]),
])

/** Name of a command_status for logs, metrics labels and the archive. */
export function statusName(status: number): string {
  return ALL.get(status) ?? `0x${status.toString(16).padStart(8, '0')}`
}
