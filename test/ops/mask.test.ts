import t from 'tap'
import { maskDigits, maskNumber, maskText } from '../../src/ops/mask.js'

t.test('maskNumber keeps only the ends', async (t) => {
  t.equal(maskNumber('13812348000'), '138****8000')
  t.equal(maskNumber('8613812348000'), '861****8000')
  t.equal(maskNumber('1069001'), '10****01')
  t.equal(maskNumber('12345'), '*****')
})

t.test('maskText keeps only the length', async (t) => {
  t.equal(maskText('【签名】您的验证码是 1234'), '[15 chars]')
})

t.test('maskDigits masks number-like runs inside free text and leaves short numbers', async (t) => {
  t.equal(maskDigits('bad destination 13812348000 on port 2775'), 'bad destination 138****8000 on port 2775')
  t.equal(maskDigits('to +8613812348000, status 1027'), 'to +861****8000, status 1027')
  t.notMatch(maskDigits('a 1234567 b'), /1234567/)
})
