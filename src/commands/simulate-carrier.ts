// `smpp-guard simulate-carrier`: the carrier simulator on its own, for demos and for pointing other ESMEs
// or a second proxy at. Runs until SIGINT/SIGTERM, or --max-time seconds.
import { parseArgs } from 'node:util'
import { CommandStatus, ReceiptStat, type ReceiptStatWord } from '../smpp/constants.js'
import { createCarrier } from '../simulator/carrier.js'

const USAGE = `usage: smpp-guard simulate-carrier [--host H] [--port N] [--system-id ID --password PW]
       [--dlr] [--dlr-delay-ms MS] [--dlr-stat DELIVRD|UNDELIV|...] [--id-format hex|decimal]
       [--error-every N] [--error-status HEX] [--throttle-every N] [--resp-delay-ms MS]
       [--mo-every-s S --mo-from NUMBER --mo-to ADDRESS --mo-text TEXT] [--max-time S]`

function int(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} takes a whole number, got '${v}'`)
  return n
}

export async function main(argv: string[]): Promise<number> {
  let values
  try {
    values = parseArgs({
      args: argv,
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '2776' },
        'system-id': { type: 'string' },
        password: { type: 'string' },
        dlr: { type: 'boolean', default: false },
        'dlr-delay-ms': { type: 'string' },
        'dlr-stat': { type: 'string' },
        'id-format': { type: 'string' },
        'error-every': { type: 'string' },
        'error-status': { type: 'string' },
        'throttle-every': { type: 'string' },
        'resp-delay-ms': { type: 'string' },
        'mo-every-s': { type: 'string' },
        'mo-from': { type: 'string', default: '13800138000' },
        'mo-to': { type: 'string', default: '10690000' },
        'mo-text': { type: 'string', default: 'TD' },
        'max-time': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }).values
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`)
    return 2
  }
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  const stat = values['dlr-stat']
  if (stat !== undefined && !(stat in ReceiptStat)) {
    console.error(`--dlr-stat must be one of ${Object.keys(ReceiptStat).join(', ')}`)
    return 2
  }
  const idFormat = values['id-format']
  if (idFormat !== undefined && idFormat !== 'hex' && idFormat !== 'decimal') {
    console.error('--id-format must be hex or decimal')
    return 2
  }
  let carrier
  try {
    carrier = await createCarrier({
      host: values.host,
      port: int(values.port, 'port'),
      system_id: values['system-id'],
      password: values.password,
      dlr: values.dlr,
      dlr_delay_ms: int(values['dlr-delay-ms'], 'dlr-delay-ms'),
      dlr_stat: stat as ReceiptStatWord | undefined,
      id_format: idFormat,
      error_every: int(values['error-every'], 'error-every'),
      error_status: values['error-status'] ? Number.parseInt(values['error-status'], 16) : CommandStatus.ESME_RSYSERR,
      throttle_every: int(values['throttle-every'], 'throttle-every'),
      resp_delay_ms: int(values['resp-delay-ms'], 'resp-delay-ms'),
      record: false,
    })
  } catch (err) {
    console.error(`simulate-carrier: ${(err as Error).message}`)
    return 1
  }
  console.log(JSON.stringify({ event: 'carrier listening', host: values.host, port: carrier.port }))
  const timers: NodeJS.Timeout[] = []
  const moEvery = int(values['mo-every-s'], 'mo-every-s')
  if (moEvery) {
    timers.push(setInterval(() => carrier.sendMo({ source_addr: values['mo-from'], destination_addr: values['mo-to'], text: values['mo-text'] }), moEvery * 1000))
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
    const maxTime = int(values['max-time'], 'max-time')
    if (maxTime) timers.push(setTimeout(resolve, maxTime * 1000))
  })
  timers.forEach(clearTimeout)
  await carrier.close()
  console.log(JSON.stringify({ event: 'carrier stopped', ...carrier.stats }))
  return 0
}
