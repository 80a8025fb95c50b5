// Mandatory body fields of the PDUs we read, in wire order (SMPP 3.4 §4), as data: one walker reads any
// of them (fiorix/go-smpp pdufield lists). `cstr` carries the maximum length including the NUL, and the
// status returned when the field is bad.
import { CommandStatus as S } from './constants.js'

export type FieldSpec =
  | readonly [name: string, kind: 'u8']
  | readonly [name: string, kind: 'cstr', max: number, status: number]
  /** short_message: a u8 length then that many octets. */
  | readonly [name: string, kind: 'sm']

export const SUBMIT_SM: readonly FieldSpec[] = [
  ['service_type', 'cstr', 6, S.ESME_RINVSERTYP],
  ['source_addr_ton', 'u8'],
  ['source_addr_npi', 'u8'],
  ['source_addr', 'cstr', 21, S.ESME_RINVSRCADR],
  ['dest_addr_ton', 'u8'],
  ['dest_addr_npi', 'u8'],
  ['destination_addr', 'cstr', 21, S.ESME_RINVDSTADR],
  ['esm_class', 'u8'],
  ['protocol_id', 'u8'],
  ['priority_flag', 'u8'],
  ['schedule_delivery_time', 'cstr', 17, S.ESME_RINVSCHED],
  ['validity_period', 'cstr', 17, S.ESME_RINVEXPIRY],
  ['registered_delivery', 'u8'],
  ['replace_if_present_flag', 'u8'],
  ['data_coding', 'u8'],
  ['sm_default_msg_id', 'u8'],
  ['short_message', 'sm'],
]

/** deliver_sm has the submit_sm layout (SMPP 3.4 §4.6.1); schedule/validity are sent empty. */
export const DELIVER_SM: readonly FieldSpec[] = SUBMIT_SM

export const DATA_SM: readonly FieldSpec[] = [
  ['service_type', 'cstr', 6, S.ESME_RINVSERTYP],
  ['source_addr_ton', 'u8'],
  ['source_addr_npi', 'u8'],
  ['source_addr', 'cstr', 65, S.ESME_RINVSRCADR],
  ['dest_addr_ton', 'u8'],
  ['dest_addr_npi', 'u8'],
  ['destination_addr', 'cstr', 65, S.ESME_RINVDSTADR],
  ['esm_class', 'u8'],
  ['registered_delivery', 'u8'],
  ['data_coding', 'u8'],
]

export const BIND: readonly FieldSpec[] = [
  ['system_id', 'cstr', 16, S.ESME_RINVSYSID],
  ['password', 'cstr', 9, S.ESME_RINVPASWD],
  ['system_type', 'cstr', 13, S.ESME_RINVSYSTYP],
  ['interface_version', 'u8'],
  ['addr_ton', 'u8'],
  ['addr_npi', 'u8'],
  ['address_range', 'cstr', 41, S.ESME_RINVPARLEN],
]

export const BIND_RESP: readonly FieldSpec[] = [['system_id', 'cstr', 16, S.ESME_RINVSYSID]]

/** message_id's longest form, NUL included (SMPP 3.4 §4.4.2). */
export const MESSAGE_ID_OCTETS = 65
export const SUBMIT_SM_RESP: readonly FieldSpec[] = [['message_id', 'cstr', MESSAGE_ID_OCTETS, S.ESME_RINVMSGID]]
