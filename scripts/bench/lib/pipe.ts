// The physical limit of one hop: a TCP byte pipe with no parsing. usage: pipe.ts LISTEN_PORT TARGET_PORT
import net from 'node:net'

const [listenArg, targetArg] = process.argv.slice(2)
const server = net.createServer((client) => {
  client.setNoDelay(true)
  const upstream = net.connect({ host: '127.0.0.1', port: Number(targetArg) })
  upstream.setNoDelay(true)
  client.pipe(upstream)
  upstream.pipe(client)
  client.on('error', () => upstream.destroy())
  upstream.on('error', () => client.destroy())
})
server.listen(Number(listenArg), '127.0.0.1', () => {
  console.log(JSON.stringify({ port: (server.address() as net.AddressInfo).port }))
})
process.on('SIGTERM', () => process.exit(0))
