/** The chart's reduction of a series to pixel columns: extremes kept, gaps kept, bounded size. */
import assert from 'node:assert/strict';
import { reduceToColumns } from '../../../src/render/chart/downsample.ts';
import { renderChartSvg } from '../../../src/render/chart.ts';

/** A day on a 900-column plot: 96 s per column. */
const START = 1_700_000_000;
const DAY = 86_400;
const grid = {
  x: (t: number) => 60 + ((t - START) / DAY) * 900,
  y: (v: number) => 400 - v / 1e6,
  left: 60,
  right: 960,
  gapSeconds: 1200,
};

function day(step: number, value: (t: number, i: number) => number): { t: number[]; v: number[] } {
  const t: number[] = [];
  const v: number[] = [];
  for (let at = START, i = 0; at <= START + DAY; at += step, i++) {
    t.push(at);
    v.push(value(at, i));
  }
  return { t, v };
}

describe('render/chart downsample', () => {
  it('keeps at most two samples per pixel column, in time order', () => {
    const s = day(15, (_, i) => 100e6 + (i % 7) * 1e6);
    const r = reduceToColumns(s.t, s.v, grid);
    assert.ok(s.t.length > 5000);
    assert.ok(r.t.length <= 2 * 902, `${r.t.length} kept`);
    for (let k = 1; k < r.t.length; k++) assert.ok((r.t[k] as number) > (r.t[k - 1] as number));
  });

  it('keeps a one-sample spike and the drop at a restart', () => {
    const spikeAt = START + 40_005;
    const restartAt = START + 60_000;
    const s = day(15, (t) => (t === spikeAt ? 900e6 : t >= restartAt && t < restartAt + 15 ? 20e6 : 200e6));
    const r = reduceToColumns(s.t, s.v, grid);
    assert.ok(r.t.includes(spikeAt), 'the spike is kept');
    assert.equal(r.v[r.t.indexOf(spikeAt)], 900e6);
    assert.ok(r.t.includes(restartAt), 'the drop is kept');
    assert.equal(Math.max(...r.v), 900e6);
    assert.equal(Math.min(...r.v), 20e6);
  });

  it('breaks the line where the series has a gap, and only there', () => {
    const s = day(15, () => 100e6);
    const holeFrom = START + 30_000;
    const kept = s.t
      .map((t, i) => [t, s.v[i] as number])
      .filter(([t]) => (t as number) < holeFrom || (t as number) > holeFrom + 3600);
    const r = reduceToColumns(
      kept.map((p) => p[0] as number),
      kept.map((p) => p[1] as number),
      grid,
    );
    const breaks = [...r.breaks.keys()].filter((k) => r.breaks[k] === 1);
    assert.equal(breaks.length, 1);
    assert.ok((r.t[breaks[0] as number] as number) > holeFrom + 3600);
    assert.ok((r.t[(breaks[0] as number) - 1] as number) < holeFrom);
  });

  it('drops samples outside the plot and non-finite ones', () => {
    const t = [START - DAY, START + 100, START + 200, START + 2 * DAY];
    const v = [5e6, Number.NaN, 7e6, 9e6];
    const r = reduceToColumns(t, v, grid);
    assert.deepEqual([...r.t], [START + 200]);
  });

  it('draws each pod of the whole chart from the reduced series: 57,600 samples become at most two points per column', () => {
    const s = day(1.5, (_, i) => 100e6 + (i % 13) * 1e6);
    assert.ok(s.t.length >= 57_600);
    const { svg, geometry } = renderChartSvg(
      {
        window: { start: START, end: START + DAY, stepSeconds: 1.5 },
        pods: [{ pod: 'api-1', series: s }],
        limitBytes: 256e6,
        kills: [],
        traffic: { ...day(1.5, (_, i) => 50 + (i % 11)), label: 'req/s' },
      },
      'prod/api · container app',
    );
    const columns = geometry.plot.right - geometry.plot.left + 2;
    assert.ok((geometry.pods[0]?.points ?? 0) > 100, 'the line is drawn');
    assert.ok((geometry.pods[0]?.points ?? 0) <= 2 * columns, `${geometry.pods[0]?.points} points drawn`);
    assert.ok(svg.length < 200_000, `${svg.length} characters of SVG`);
  });
});
