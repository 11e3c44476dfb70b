import assert from 'node:assert/strict';
import fc from 'fast-check';
import { median, quantile, spearman, theilSen } from '../../../src/domain/series.ts';

function sortedQuantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (pos - lo);
}

describe('series statistics', () => {
  it('quantile by selection equals the sorted definition', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e12, max: 1e12, noNaN: true }), { minLength: 1, maxLength: 200 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (values, q) => {
          assert.ok(
            Math.abs(quantile(values, q) - sortedQuantile(values, q)) <=
              1e-6 * Math.max(1, Math.abs(sortedQuantile(values, q))),
          );
        },
      ),
    );
  });

  it('median of an even count interpolates', () => assert.equal(median([4, 1, 3, 2]), 2.5));

  it('Theil-Sen ignores outliers a least-squares fit would follow', () => {
    const x = Array.from({ length: 50 }, (_, i) => i);
    const y = x.map((v) => 2 * v + 1);
    y[10] = 1000;
    y[40] = -1000;
    const fit = theilSen(x, y);
    assert.ok(Math.abs(fit.slope - 2) < 1e-9);
    assert.ok(Math.abs(fit.intercept - 1) < 1e-9);
  });

  it('Spearman is 1 for any increasing relation and -1 for a decreasing one', () => {
    const x = [1, 2, 3, 4, 5, 6];
    assert.equal(
      spearman(
        x,
        x.map((v) => v ** 3),
      ),
      1,
    );
    assert.equal(
      spearman(
        x,
        x.map((v) => -Math.exp(v)),
      ),
      -1,
    );
  });
});
