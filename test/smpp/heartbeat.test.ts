import t from 'tap'
import { Heartbeat } from '../../src/smpp/heartbeat.js'

t.test('sends enquire_link after silence and declares the peer dead after unanswered ones', async (t) => {
  let sent = 0
  let dead = 0
  const hb = new Heartbeat({ sendEnquireLink: () => sent++, onDead: () => dead++ }, 1000, 0, 2)
  hb.tick(500)
  t.equal(sent, 0)
  hb.tick(1000)
  t.equal(sent, 1)
  hb.tick(1500)
  t.equal(sent, 1, 'waits an interval before the next one')
  hb.tick(2000)
  t.equal(sent, 2)
  hb.tick(3000)
  t.equal(dead, 1)
  hb.tick(4000)
  t.equal(dead, 1, 'dead once')
})

t.test('traffic resets the count', async (t) => {
  let sent = 0
  let dead = 0
  const hb = new Heartbeat({ sendEnquireLink: () => sent++, onDead: () => dead++ }, 1000, 0, 1)
  hb.tick(1000)
  hb.onEnquireLinkResp(1100)
  hb.tick(2000)
  t.equal(dead, 0)
  hb.tick(2100)
  t.equal(sent, 2)
  hb.tick(3200)
  t.equal(dead, 1)
})
