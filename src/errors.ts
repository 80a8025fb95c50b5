// One error type for failures (never for policy outcomes: those are Verdict values). Every code is declared
// once in this table with the SMPP status a request ends with when the error ends it.
import { CommandStatus } from './smpp/constants.js'

export const ErrorCodes = {
  SG_ERR_CONFIG_INVALID: { status: CommandStatus.ESME_RSYSERR, message: 'invalid configuration' },
  SG_ERR_CONFIG_READ: { status: CommandStatus.ESME_RSYSERR, message: 'cannot read configuration file' },
  SG_ERR_RULES_INVALID: { status: CommandStatus.ESME_RSYSERR, message: 'invalid rule file' },
  SG_ERR_UPSTREAM_UNAVAILABLE: { status: CommandStatus.ESME_RMSGQFUL, message: 'no carrier bind available' },
  SG_ERR_UPSTREAM_TIMEOUT: { status: CommandStatus.ESME_RSYSERR, message: 'carrier response timed out' },
  SG_ERR_UPSTREAM_CLOSED: { status: CommandStatus.ESME_RSYSERR, message: 'carrier bind closed with request in flight' },
  SG_ERR_SESSION_CLOSED: { status: CommandStatus.ESME_RSYSERR, message: 'session closed' },
  SG_ERR_SHUTTING_DOWN: { status: CommandStatus.ESME_RMSGQFUL, message: 'proxy is shutting down' },
  SG_ERR_STATE_UNAVAILABLE: { status: CommandStatus.ESME_RSYSERR, message: 'state backend unavailable' },
  SG_ERR_ARCHIVE_WRITE: { status: CommandStatus.ESME_RSYSERR, message: 'archive write failed' },
  SG_ERR_ARCHIVE_SPOOL_FULL: { status: CommandStatus.ESME_RMSGQFUL, message: 'archive spool is full' },
  SG_ERR_ADMIN_UNREACHABLE: { status: CommandStatus.ESME_RSYSERR, message: 'proxy admin socket not reachable' },
  SG_ERR_ADMIN_IN_USE: { status: CommandStatus.ESME_RSYSERR, message: 'another proxy answers on the admin socket' },
  SG_ERR_ADMIN_FAILED: { status: CommandStatus.ESME_RSYSERR, message: 'admin command failed' },
  SG_ERR_USAGE: { status: CommandStatus.ESME_RSYSERR, message: 'bad command-line usage' },
} as const
export type ErrorCode = keyof typeof ErrorCodes

export class GuardError extends Error {
  readonly code: ErrorCode
  readonly status: number

  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown }) {
    const base = ErrorCodes[code].message
    super(detail ? `${base}: ${detail}` : base, options)
    this.name = 'GuardError'
    this.code = code
    this.status = ErrorCodes[code].status
  }
}
