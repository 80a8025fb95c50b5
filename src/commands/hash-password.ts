import { hashPassword } from '../inbound/password.js'

export async function main(argv: string[]): Promise<number> {
  if (argv.length !== 1 || argv[0].startsWith('-')) {
    console.error('usage: smpp-guard hash-password PASSWORD')
    return 2
  }
  console.log(await hashPassword(argv[0]))
  return 0
}
