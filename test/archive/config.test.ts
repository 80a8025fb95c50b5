import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ArchiveSchema } from '../../src/archive/config.js'
import { spoolDir } from '../../src/archive/archive.js'
import { loadConfig, ConfigError } from '../../src/config/load.js'

t.test('defaults: one sqlite sink, 180 days, ack', async (t) => {
  const cfg = ArchiveSchema.parse({})
  t.equal(cfg.retention_days, 180)
  t.equal(cfg.durability, 'ack')
  t.equal(cfg.enabled, true, 'the archive is on unless a config turns it off')
  t.same(cfg.sinks, [{ sink: 'sqlite', path: 'data/archive', open_days: 4, worker: true }])
})

t.test('the DESIGN.md form and the list form parse to the same shape', async (t) => {
  const one = ArchiveSchema.parse({ sink: 'postgres', url: 'postgres://h/db', retention_days: 90, durability: 'async', spool: { path: 's' } })
  t.equal(one.retention_days, 90)
  t.equal(one.durability, 'async')
  t.equal(one.sinks.length, 1)
  t.match(one.sinks[0], { sink: 'postgres', url: 'postgres://h/db', table_prefix: 'smpp_guard_archive' })
  const many = ArchiveSchema.parse({ sinks: [{ sink: 'sqlite', path: 'a' }, { sink: 'jsonl', path: 'b' }, { sink: 'postgres' }] })
  t.same(many.sinks.map((s) => s.sink), ['sqlite', 'jsonl', 'postgres'])
})

t.test('errors name the key and the reason', async (t) => {
  const issues = (v: unknown) => {
    const r = ArchiveSchema.safeParse(v)
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
  }
  t.match(issues({ retention_days: 29 }), [/^retention_days: retention_days must be at least 30/])
  t.match(issues({ sinks: [{ sink: 'sqlite' }], retention_days: 7 }), [/^retention_days: .*at least 30/])
  t.match(issues({ sink: 'mysql' }), [/^sink: /])
  t.match(issues({ sink: 'jsonl', url: 'x' }), [/Unrecognized key.*url/])
  t.match(issues({ sinks: [{ sink: 'sqlite', table_prefix: 'x' }] }), [/^sinks\.0: Unrecognized key/])
  t.match(issues({ sink: 'sqlite', sinks: [] }), [/^sink: use either/])
  t.match(issues({ sinks: [] }), [/^sinks: /])
  t.match(issues({ durability: 'sometimes' }), [/^durability: /])
})

t.test('retention below 30 days is a config error with file, line and key', async (t) => {
  const dir = t.testdir()
  const file = join(dir, 'c.yaml')
  writeFileSync(file, 'archive:\n  sink: sqlite\n  path: data\n  retention_days: 14\n')
  try {
    loadConfig(file)
    t.fail('loaded')
  } catch (err) {
    t.ok(err instanceof ConfigError)
    t.match((err as Error).message, /c\.yaml:4: archive\.retention_days: retention_days must be at least 30/)
  }
})

t.test('spool directory: explicit, or inside the first sink with a path, relative to the config file', async (t) => {
  t.equal(spoolDir(ArchiveSchema.parse({ sink: 'sqlite', path: '../data/archive' }), '/etc/sg/config'), '/etc/sg/data/archive/spool')
  t.equal(spoolDir(ArchiveSchema.parse({ sink: 'postgres', spool: { path: 'spool' } }), '/srv'), '/srv/spool')
  const r = ArchiveSchema.safeParse({ sink: 'postgres' })
  t.match(r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`), [/^spool\.path: required when no sink has a path/])
})
