import assert from 'node:assert/strict';
import { formatBytes, parseQuantity, roundUpToTidy, toQuantity } from '../../../src/domain/quantity.ts';

const MI = 2 ** 20;

describe('quantities', () => {
  const parsed: Array<[string, number | undefined]> = [
    ['512Mi', 512 * MI],
    ['16252928Ki', 16252928 * 1024],
    ['1G', 1e9],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['500M', 5e8],
    ['1e3', 1000],
    ['128974848', 128974848],
    ['12 Mi', undefined],
    ['lots', undefined],
    ['', undefined],
  ];
  for (const [text, bytes] of parsed) it(`parses "${text}"`, () => assert.equal(parseQuantity(text), bytes));

  const formatted: Array<[number, string]> = [
    [512 * MI, '512Mi'],
    [2 ** 30, '1Gi'],
    [239.5 * MI, '240Mi'],
    [120 * MI, '120Mi'],
    [1.25 * 2 ** 30, '1.25Gi'],
    [10.5 * MI, '10.5Mi'],
    [100, '100'],
  ];
  for (const [bytes, text] of formatted)
    it(`formats ${bytes} as ${text}`, () => assert.equal(formatBytes(bytes), text));

  it('writes exact manifest quantities', () => {
    assert.equal(toQuantity(2 ** 31), '2Gi');
    assert.equal(toQuantity(1280 * MI), '1280Mi');
  });

  it('rounds up to tidy sizes', () => {
    assert.equal(roundUpToTidy(700 * MI), 768 * MI);
    assert.equal(roundUpToTidy(1035 * MI), 1280 * MI);
    assert.equal(roundUpToTidy(100 * MI), 128 * MI);
  });
});
