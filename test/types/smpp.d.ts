// The `smpp` package (0.5.1) ships no types; we use it only as an independent test oracle.
declare module 'smpp' {
  export class PDU {
    constructor(command: string, options?: Record<string, unknown>)
    command: string
    command_status: number
    sequence_number: number
    [field: string]: unknown
    toBuffer(): Buffer
    static fromBuffer(buf: Buffer): PDU | false
  }
}
