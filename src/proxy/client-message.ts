// The message as policy and the archive see it, built from a client's submit_sm. Its text is decoded on
// first read: with no stage reading it and the archive off, the decoding (for UCS2 a copy, swap16 and a
// string, about a tenth of the transparent proxy's CPU per message) is never paid.
import type { SmFields } from '../smpp/pdu.js'
import { decodeText, type DataCodingOptions, type DecodedText } from '../smpp/text/index.js'
import type { Message, TextEncoding } from '../policy/message.js'

/** Where the message came from: the client session's identity. */
export interface MessageOrigin {
  readonly system_id: string
  readonly sid: string
  readonly remoteAddress: string
}

export class ClientMessage implements Message {
  readonly system_id: string
  readonly session_id: string
  readonly client_ip: string
  readonly service_type: string
  readonly source_addr_ton: number
  readonly source_addr_npi: number
  readonly source_addr: string
  readonly dest_addr_ton: number
  readonly dest_addr_npi: number
  readonly destination_addr: string
  readonly esm_class: number
  readonly registered_delivery: number
  readonly data_coding: number
  readonly parts: number
  readonly received_at: number
  /**
   * User data still to decode: a view into the client's PDU, whose bytes stay as they arrived (forwarding
   * rewrites only the header's sequence_number), so it is as good later as now. Dropped once decoded.
   */
  #userData: Uint8Array | null
  readonly #opts: DataCodingOptions
  #decoded: DecodedText | null

  /** `text` is the decoded text when already known (a reassembled long message), else `userData` is decoded on demand. */
  constructor(
    origin: MessageOrigin,
    f: SmFields | ClientMessage,
    parts: number,
    received_at: number,
    text: DecodedText | null,
    userData: Uint8Array | null,
    opts: DataCodingOptions,
  ) {
    this.system_id = origin.system_id
    this.session_id = origin.sid
    this.client_ip = origin.remoteAddress
    this.service_type = f.service_type
    this.source_addr_ton = f.source_addr_ton
    this.source_addr_npi = f.source_addr_npi
    this.source_addr = f.source_addr
    this.dest_addr_ton = f.dest_addr_ton
    this.dest_addr_npi = f.dest_addr_npi
    this.destination_addr = f.destination_addr
    this.esm_class = f.esm_class
    this.registered_delivery = f.registered_delivery
    this.data_coding = f.data_coding
    this.parts = parts
    this.received_at = received_at
    this.#decoded = text
    this.#userData = text === null ? userData : null
    this.#opts = opts
  }

  /** The same message carrying the whole text of a long message, received when its first part was. */
  withText(text: DecodedText, received_at: number): ClientMessage {
    return new ClientMessage(
      { system_id: this.system_id, sid: this.session_id, remoteAddress: this.client_ip },
      this,
      this.parts,
      received_at,
      text,
      null,
      this.#opts,
    )
  }

  get text(): string {
    return this.#read().text
  }

  get encoding(): TextEncoding {
    return this.#read().encoding
  }

  get decode_error(): boolean {
    return this.#read().decode_error
  }

  /** Own enumerable data for logs and `JSON.stringify`, which skip the accessors above. */
  toJSON(): Message {
    return { ...this, text: this.text, encoding: this.encoding, decode_error: this.decode_error }
  }

  #read(): DecodedText {
    let d = this.#decoded
    if (d === null) {
      d = this.#decoded = decodeText(this.data_coding, this.#userData ?? EMPTY, this.#opts)
      this.#userData = null
    }
    return d
  }
}

const EMPTY = new Uint8Array(0)
