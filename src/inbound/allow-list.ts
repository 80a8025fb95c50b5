// accounts[].allowed_ips as one compiled matcher per account. Built on node's BlockList (a prefix trie in
// C++), with IPv4-mapped IPv6 peers (`::ffff:10.0.0.1`, what a dual-stack listener reports) checked as the
// IPv4 address they are, so `10.0.0.0/8` in the config matches them.
import { BlockList, isIP } from 'node:net'
import { GuardError } from '../errors.js'

export type AllowList = (ip: string) => boolean

const MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i

export function compileAllowList(cidrs: readonly string[]): AllowList {
  const list = new BlockList()
  for (const entry of cidrs) {
    const [addr, bits] = entry.trim().split('/')
    const family = isIP(addr)
    if (family === 0) throw new GuardError('SG_ERR_CONFIG_INVALID', `allowed_ips: not an IP address: ${entry}`)
    const type = family === 4 ? 'ipv4' : 'ipv6'
    const prefix = bits === undefined ? (family === 4 ? 32 : 128) : Number(bits)
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128) || !/^\d*$/.test(bits ?? '')) {
      throw new GuardError('SG_ERR_CONFIG_INVALID', `allowed_ips: bad prefix length: ${entry}`)
    }
    list.addSubnet(addr, prefix, type)
  }
  return (ip) => {
    const mapped = MAPPED.exec(ip)
    if (mapped) return list.check(mapped[1], 'ipv4')
    const family = isIP(ip)
    if (family === 0) return false
    return list.check(ip, family === 4 ? 'ipv4' : 'ipv6')
  }
}
