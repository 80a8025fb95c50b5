// Every SMPP 3.4 number the project uses lives here (SMPP 3.4 §5). No other file writes a command id,
// status, tag or data_coding as a literal.

export const HEADER_LENGTH = 16
/** Largest command_length we accept. SMPP 3.4 has no hard limit; 64 KiB covers message_payload. */
export const MAX_PDU_LENGTH = 65536
/** Response ids carry the top bit; `>>> 0` keeps them unsigned (`x | 0x80000000` is negative in JS). */
export const RESPONSE_BIT = 0x80000000

export const CommandId = {
  generic_nack: 0x80000000,
  bind_receiver: 0x00000001,
  bind_receiver_resp: 0x80000001,
  bind_transmitter: 0x00000002,
  bind_transmitter_resp: 0x80000002,
  query_sm: 0x00000003,
  query_sm_resp: 0x80000003,
  submit_sm: 0x00000004,
  submit_sm_resp: 0x80000004,
  deliver_sm: 0x00000005,
  deliver_sm_resp: 0x80000005,
  unbind: 0x00000006,
  unbind_resp: 0x80000006,
  replace_sm: 0x00000007,
  replace_sm_resp: 0x80000007,
  cancel_sm: 0x00000008,
  cancel_sm_resp: 0x80000008,
  bind_transceiver: 0x00000009,
  bind_transceiver_resp: 0x80000009,
  outbind: 0x0000000b,
  enquire_link: 0x00000015,
  enquire_link_resp: 0x80000015,
  submit_multi: 0x00000021,
  submit_multi_resp: 0x80000021,
  alert_notification: 0x00000102,
  data_sm: 0x00000103,
  data_sm_resp: 0x80000103,
} as const
export type CommandName = keyof typeof CommandId
export type CommandIdValue = (typeof CommandId)[CommandName]

export function isResponse(commandId: number): boolean {
  return (commandId & RESPONSE_BIT) !== 0
}

export function responseIdOf(commandId: number): number {
  return (commandId | RESPONSE_BIT) >>> 0
}

const NAMES = new Map<number, CommandName>(
  (Object.entries(CommandId) as [CommandName, number][]).map(([name, id]) => [id, name]),
)

export function commandName(commandId: number): CommandName | undefined {
  return NAMES.get(commandId >>> 0)
}

/** command_status values, SMPP 3.4 §5.1.3. Vendor codes (0x400–0x4FF) live in `status.ts`. */
export const CommandStatus = {
  ESME_ROK: 0x00000000,
  ESME_RINVMSGLEN: 0x00000001,
  ESME_RINVCMDLEN: 0x00000002,
  ESME_RINVCMDID: 0x00000003,
  ESME_RINVBNDSTS: 0x00000004,
  ESME_RALYBND: 0x00000005,
  ESME_RINVPRTFLG: 0x00000006,
  ESME_RINVREGDLVFLG: 0x00000007,
  ESME_RSYSERR: 0x00000008,
  ESME_RINVSRCADR: 0x0000000a,
  ESME_RINVDSTADR: 0x0000000b,
  ESME_RINVMSGID: 0x0000000c,
  ESME_RBINDFAIL: 0x0000000d,
  ESME_RINVPASWD: 0x0000000e,
  ESME_RINVSYSID: 0x0000000f,
  ESME_RCANCELFAIL: 0x00000011,
  ESME_RREPLACEFAIL: 0x00000013,
  ESME_RMSGQFUL: 0x00000014,
  ESME_RINVSERTYP: 0x00000015,
  ESME_RINVNUMDESTS: 0x00000033,
  ESME_RINVDLNAME: 0x00000034,
  ESME_RINVDESTFLAG: 0x00000040,
  ESME_RINVSUBREP: 0x00000042,
  ESME_RINVESMCLASS: 0x00000043,
  ESME_RCNTSUBDL: 0x00000044,
  ESME_RSUBMITFAIL: 0x00000045,
  ESME_RINVSRCTON: 0x00000048,
  ESME_RINVSRCNPI: 0x00000049,
  ESME_RINVDSTTON: 0x00000050,
  ESME_RINVDSTNPI: 0x00000051,
  ESME_RINVSYSTYP: 0x00000053,
  ESME_RINVREPFLAG: 0x00000054,
  ESME_RINVNUMMSGS: 0x00000055,
  ESME_RTHROTTLED: 0x00000058,
  ESME_RINVSCHED: 0x00000061,
  ESME_RINVEXPIRY: 0x00000062,
  ESME_RINVDFTMSGID: 0x00000063,
  ESME_RX_T_APPN: 0x00000064,
  ESME_RX_P_APPN: 0x00000065,
  ESME_RX_R_APPN: 0x00000066,
  ESME_RQUERYFAIL: 0x00000067,
  ESME_RINVOPTPARSTREAM: 0x000000c0,
  ESME_ROPTPARNOTALLWD: 0x000000c1,
  ESME_RINVPARLEN: 0x000000c2,
  ESME_RMISSINGOPTPARAM: 0x000000c3,
  ESME_RINVOPTPARAMVAL: 0x000000c4,
  ESME_RDELIVERYFAILURE: 0x000000fe,
  ESME_RUNKNOWNERR: 0x000000ff,
} as const
export type CommandStatusName = keyof typeof CommandStatus

/** Optional parameter (TLV) tags, SMPP 3.4 §5.3.2. */
export const Tag = {
  dest_addr_subunit: 0x0005,
  dest_network_type: 0x0006,
  dest_bearer_type: 0x0007,
  dest_telematics_id: 0x0008,
  source_addr_subunit: 0x000d,
  source_network_type: 0x000e,
  source_bearer_type: 0x000f,
  source_telematics_id: 0x0010,
  qos_time_to_live: 0x0017,
  payload_type: 0x0019,
  additional_status_info_text: 0x001d,
  receipted_message_id: 0x001e,
  ms_msg_wait_facilities: 0x0030,
  privacy_indicator: 0x0201,
  source_subaddress: 0x0202,
  dest_subaddress: 0x0203,
  user_message_reference: 0x0204,
  user_response_code: 0x0205,
  source_port: 0x020a,
  destination_port: 0x020b,
  sar_msg_ref_num: 0x020c,
  language_indicator: 0x020d,
  sar_total_segments: 0x020e,
  sar_segment_seqnum: 0x020f,
  sc_interface_version: 0x0210,
  callback_num_pres_ind: 0x0302,
  callback_num_atag: 0x0303,
  number_of_messages: 0x0304,
  callback_num: 0x0381,
  dpf_result: 0x0420,
  set_dpf: 0x0421,
  ms_availability_status: 0x0422,
  network_error_code: 0x0423,
  message_payload: 0x0424,
  delivery_failure_reason: 0x0425,
  more_messages_to_send: 0x0426,
  message_state: 0x0427,
  ussd_service_op: 0x0501,
  display_time: 0x1201,
  sms_signal: 0x1203,
  ms_validity: 0x1204,
  alert_on_message_delivery: 0x130c,
  its_reply_type: 0x1380,
  its_session_info: 0x1383,
} as const

/** data_coding values we name (SMPP 3.4 §5.2.19). The whole byte matters: see smpp/text. */
export const DataCoding = {
  default: 0x00,
  ia5: 0x01,
  binary: 0x02,
  latin1: 0x03,
  binary_alt: 0x04,
  jis: 0x05,
  cyrillic: 0x06,
  latin_hebrew: 0x07,
  ucs2: 0x08,
  pictogram: 0x09,
  iso2022jp: 0x0a,
  kanji: 0x0d,
  ksc5601: 0x0e,
  /** Not in SMPP 3.4; Chinese gateways use it for GBK / GB18030. */
  gbk: 0x0f,
} as const

/** esm_class bits, SMPP 3.4 §5.2.12. */
export const EsmClass = {
  MODE_MASK: 0x03,
  TYPE_MASK: 0x3c,
  /** Message type bits: delivery receipt (SMSC → ESME). */
  DELIVERY_RECEIPT: 0x04,
  INTERMEDIATE_NOTIFICATION: 0x20,
  UDHI: 0x40,
  REPLY_PATH: 0x80,
} as const

/** registered_delivery bits, SMPP 3.4 §5.2.17. */
export const RegisteredDelivery = {
  RECEIPT_MASK: 0x03,
  RECEIPT_ALWAYS: 0x01,
  RECEIPT_ON_FAILURE: 0x02,
} as const

/** User Data Header information element identifiers (3GPP TS 23.040 §9.2.3.24). */
export const Iei = {
  CONCAT_8BIT: 0x00,
  CONCAT_16BIT: 0x08,
} as const

/** message_state values, SMPP 3.4 §5.2.28. */
export const MessageState = {
  ENROUTE: 1,
  DELIVERED: 2,
  EXPIRED: 3,
  DELETED: 4,
  UNDELIVERABLE: 5,
  ACCEPTED: 6,
  UNKNOWN: 7,
  REJECTED: 8,
} as const

/** The `stat:` words of the de-facto receipt text format (SMPP 3.4 Appendix B). */
export const ReceiptStat = {
  ENROUTE: 'ENROUTE',
  DELIVRD: 'DELIVRD',
  EXPIRED: 'EXPIRED',
  DELETED: 'DELETED',
  UNDELIV: 'UNDELIV',
  ACCEPTD: 'ACCEPTD',
  UNKNOWN: 'UNKNOWN',
  REJECTD: 'REJECTD',
} as const
export type ReceiptStatWord = (typeof ReceiptStat)[keyof typeof ReceiptStat]

export const InterfaceVersion = 0x34
