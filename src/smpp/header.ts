// The 16-byte PDU header (SMPP 3.4 §3.2): command_length, command_id, command_status, sequence_number.

export function readCommandLength(pdu: Buffer): number {
  return pdu.readUInt32BE(0)
}

export function readCommandId(pdu: Buffer): number {
  return pdu.readUInt32BE(4)
}

export function readCommandStatus(pdu: Buffer): number {
  return pdu.readUInt32BE(8)
}

export function readSequence(pdu: Buffer): number {
  return pdu.readUInt32BE(12)
}

/** Rewrites sequence_number in place: the forwarded PDU is otherwise the peer's own bytes. */
export function writeSequence(pdu: Buffer, seq: number): void {
  pdu.writeUInt32BE(seq >>> 0, 12)
}

/** Writes a header into `buf` at 0. */
export function writeHeader(buf: Buffer, commandId: number, status: number, seq: number): void {
  buf.writeUInt32BE(buf.length, 0)
  buf.writeUInt32BE(commandId >>> 0, 4)
  buf.writeUInt32BE(status >>> 0, 8)
  buf.writeUInt32BE(seq >>> 0, 12)
}

/** sequence_number is 1..0x7FFFFFFF (SMPP 3.4 §3.2): wraps before the top bit. */
export function nextSequence(seq: number): number {
  return seq >= 0x7fffffff ? 1 : seq + 1
}
