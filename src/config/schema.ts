// The one declaration of the configuration: types are inferred from it, defaults sit beside each key, units
// are in key names. Each area owns its section schema (stages and sinks declare their own config, STYLE
// rules 12–13); this file assembles them. Modules receive their slice, never the YAML.
import { z } from 'zod'
import { ArchiveSchema } from '../archive/config.js'
import { StateSchema } from '../state/config.js'
import { PolicySchema, PolicyOverrideSchema } from '../policy/config.js'

const Port = z.number().int().min(0).max(65535)
const Alphabet = z.enum(['gsm', 'ascii', 'latin1'])

export const TlsSchema = z.strictObject({
  host: z.string().optional(),
  port: Port.default(3550),
  cert: z.string(),
  key: z.string(),
  ca: z.string().optional(),
  min_version: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
})

export const ListenSchema = z.strictObject({
  host: z.string().default('127.0.0.1'),
  port: Port.default(2775),
  tls: TlsSchema.optional(),
  /** Max unanswered submit_sm per client session; above it reading pauses. */
  window: z.number().int().min(1).max(10000).default(100),
  /** A session with no PDU for this long gets an enquire_link; twice this and it is dropped. */
  enquire_link_ms: z.number().int().min(1000).default(30000),
  /** A connection that has not bound within this time is closed. */
  bind_timeout_ms: z.number().int().min(100).default(10000),
  max_connections: z.number().int().min(1).default(5000),
  /** Concurrent connections from one source address (TCP, before any TLS handshake). */
  max_connections_per_ip: z.number().int().min(1).default(64),
  /** New connections accepted from one source address within one second; more are closed at once. */
  max_new_connections_per_ip_per_second: z.number().int().min(1).default(20),
  bind_lockout: z
    .strictObject({
      /** Wrong passwords for one system_id within window_ms before it is locked out. */
      attempts_per_account: z.number().int().min(1).default(5),
      /** Failed binds (wrong password or unknown system_id) from one address within window_ms. */
      attempts_per_ip: z.number().int().min(1).default(20),
      window_ms: z.number().int().min(100).default(300_000),
      lockout_ms: z.number().int().min(100).default(900_000),
      /** Bound on the addresses and accounts tracked; the least recently failed is forgotten first. */
      max_tracked_ips: z.number().int().min(1).default(100_000),
    })
    .prefault({}),
  /** A PDU whose first bytes arrived must be complete within this time (slow-drip clients). */
  pdu_timeout_ms: z.number().int().min(100).default(10_000),
  /** A client whose socket has not accepted our output for this long is dropped (it does not read). */
  write_blocked_timeout_ms: z.number().int().min(100).default(30_000),
  /** Output waiting in user space for one client above this is dropped at once. */
  max_write_buffer_bytes: z.number().int().min(1024).default(1024 * 1024),
})

export type BindLockoutConfig = z.infer<typeof ListenSchema>['bind_lockout']

export const UpstreamSchema = z.strictObject({
  /** Run the built-in carrier simulator and bind to it (demo, tests). */
  simulator: z.boolean().default(false),
  host: z.string().default('127.0.0.1'),
  port: Port.default(2776),
  system_id: z.string().max(15).default('smppguard'),
  password: z.string().max(8).default('secret'),
  system_type: z.string().max(12).default(''),
  /** Number of transceiver binds, or tx+rx pairs with `mode: pair`. */
  binds: z.number().int().min(1).max(64).default(2),
  mode: z.enum(['transceiver', 'pair']).default('transceiver'),
  /** Max unanswered submit_sm per carrier bind. */
  window: z.number().int().min(1).max(10000).default(100),
  /** Bounded queue in front of the binds when every window is full. */
  queue: z.number().int().min(0).default(1000),
  response_timeout_ms: z.number().int().min(100).default(10000),
  enquire_link_ms: z.number().int().min(1000).default(30000),
  reconnect_min_ms: z.number().int().min(10).default(500),
  reconnect_max_ms: z.number().int().min(100).default(30000),
  unbind_timeout_ms: z.number().int().min(10).default(2000),
  /** What data_coding 0 means on the carrier link. */
  default_alphabet: Alphabet.default('gsm'),
  tls: z.boolean().default(false),
})

export const ReceiptsSchema = z.strictObject({
  /** How long a carrier message id stays mapped to the submitting account. */
  map_ttl_ms: z.number().int().min(60000).default(72 * 3600 * 1000),
  map_max_entries: z.number().int().min(1000).default(2_000_000),
  /** Receipts held per account while it has no receiver bind. */
  queue_per_account: z.number().int().min(0).default(100_000),
  /** Directory for queued receipts across restarts; empty keeps them in memory only. */
  queue_dir: z.string().default(''),
})

export const ReassemblySchema = z.strictObject({
  timeout_ms: z.number().int().min(1000).default(60000),
  max_pending_messages: z.number().int().min(1).default(50000),
  max_pending_bytes: z.number().int().min(1024).default(64 * 1024 * 1024),
  max_pending_per_account: z.number().int().min(1).default(10000),
  max_pending_bytes_per_account: z.number().int().min(1024).default(16 * 1024 * 1024),
  /** Acknowledge held parts at once with proxy-issued ids (window-1 clients), or wait for the verdict. */
  early_ack: z.boolean().default(true),
})

export const AccountSchema = z.strictObject({
  system_id: z.string().min(1).max(15),
  /** From `smpp-guard hash-password`: `scrypt$N$r$p$salt$hash`. Never plaintext. */
  password_hash: z.string().min(1),
  allowed_ips: z.array(z.string()).default(['0.0.0.0/0', '::/0']),
  max_binds: z.number().int().min(1).default(4),
  /** Max unanswered submit_sm per session of this account (defaults to listen.window). */
  window: z.number().int().min(1).optional(),
  tps: z.number().min(0).default(100),
  burst: z.number().min(0).optional(),
  /** Destination addresses (exact or prefix with `*`) whose MO messages belong to this account. */
  mo_addresses: z.array(z.string()).default([]),
  /** What data_coding 0 means from this client. */
  default_alphabet: Alphabet.default('gsm'),
  /** What data_coding 0x0F means: GBK/GB18030 (Chinese gateways) or reserved (3GPP TS 23.038). */
  data_coding_0f: z.enum(['gb18030', 'reserved']).default('gb18030'),
  /** May this account send 8-bit binary (data_coding 2/4)? */
  allow_binary: z.boolean().default(false),
  suspended: z.boolean().default(false),
  policy: PolicyOverrideSchema.default({}),
})

export const MetricsSchema = z.strictObject({
  enabled: z.boolean().default(true),
  host: z.string().default('127.0.0.1'),
  port: Port.default(9464),
})

export const AdminSchema = z.strictObject({
  enabled: z.boolean().default(true),
  socket: z.string().default('data/admin.sock'),
})

export const LogSchema = z.strictObject({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Human-readable lines via pino-pretty; `auto`: when stdout is a terminal and pino-pretty is installed. */
  pretty: z.union([z.boolean(), z.literal('auto')]).default('auto'),
  /** Accounts whose sessions log at debug level, for troubleshooting. */
  debug_accounts: z.array(z.string()).default([]),
})

export const ReloadSchema = z.strictObject({
  /** Also reload when the config file, the accounts file, a rule file or a member list changes (SIGHUP and `admin reload` always work). */
  watch: z.boolean().default(false),
  /** Quiet time after the last file change before reloading: editors write in several steps. */
  debounce_ms: z.number().int().min(50).default(1000),
})

export const ConfigSchema = z.strictObject({
  listen: ListenSchema.default(ListenSchema.parse({})),
  upstream: UpstreamSchema.default(UpstreamSchema.parse({})),
  accounts: z.array(AccountSchema).default([]),
  /** A YAML file with a list of accounts, relative to the config file; merged after `accounts`. */
  accounts_file: z.string().optional(),
  /** Directory of rule files, relative to the config file. */
  rules: z.string().default('rules'),
  policy: PolicySchema.default(PolicySchema.parse({})),
  receipts: ReceiptsSchema.default(ReceiptsSchema.parse({})),
  reassembly: ReassemblySchema.default(ReassemblySchema.parse({})),
  state: StateSchema.default(StateSchema.parse({ backend: "memory" })),
  archive: ArchiveSchema.default(ArchiveSchema.parse({})),
  metrics: MetricsSchema.default(MetricsSchema.parse({})),
  admin: AdminSchema.default(AdminSchema.parse({})),
  log: LogSchema.default(LogSchema.parse({})),
  reload: ReloadSchema.default(ReloadSchema.parse({})),
})

export type Config = z.infer<typeof ConfigSchema>
export type AccountConfig = z.infer<typeof AccountSchema>
export type ListenConfig = z.infer<typeof ListenSchema>
export type UpstreamConfig = z.infer<typeof UpstreamSchema>
export type ReceiptsConfig = z.infer<typeof ReceiptsSchema>
export type ReassemblyConfig = z.infer<typeof ReassemblySchema>
export type MetricsConfig = z.infer<typeof MetricsSchema>
export type AdminConfig = z.infer<typeof AdminSchema>
export type LogConfig = z.infer<typeof LogSchema>
export type ReloadConfig = z.infer<typeof ReloadSchema>
