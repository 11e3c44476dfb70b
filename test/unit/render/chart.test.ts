import assert from 'node:assert/strict';
import type { ChartData } from '../../../src/domain/types.ts';
import {
  chartFileName,
  chartTitle,
  POD_COLORS,
  renderChartPng,
  renderChartSvg,
} from '../../../src/render/chart.ts';
import { AT, buildChart, buildTarget, DAY, GI, MI } from '../../support/diagnosis-builder.ts';

/** Attributes of the first element matching `selector` (an id or a class) in the SVG. */
function elements(svg: string, tag: string, match: RegExp): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  for (const m of svg.matchAll(new RegExp(`<${tag}\\b([^>]*)>`, 'g'))) {
    const attrs = m[1] ?? '';
    if (!match.test(attrs)) continue;
    const record: Record<string, string> = {};
    for (const a of attrs.matchAll(/([\w:-]+)="([^"]*)"/g)) record[a[1] as string] = a[2] as string;
    out.push(record);
  }
  return out;
}

function byId(svg: string, tag: string, id: string): Record<string, string> {
  const found = elements(svg, tag, new RegExp(`\\bid="${id}"`));
  assert.equal(found.length, 1, `one <${tag} id="${id}">`);
  return found[0] as Record<string, string>;
}

function textById(svg: string, id: string): string {
  const m = new RegExp(`<text[^>]*\\bid="${id}"[^>]*>([^<]*)</text>`).exec(svg);
  assert.ok(m, `text #${id}`);
  return m[1] as string;
}

/** Absolute points of a path made of M, l and implicit relative line-tos. */
function pathPoints(d: string): Array<{ x: number; y: number }> {
  const points: Array<{ x: number; y: number }> = [];
  for (const sub of d.split('M').filter(Boolean)) {
    const [head, rel = ''] = sub.split('l');
    const [x0, y0] = (head ?? '').trim().split(/\s+/).map(Number);
    let x = x0 as number;
    let y = y0 as number;
    points.push({ x, y });
    const nums = rel.match(/-?\d*\.?\d+/g)?.map(Number) ?? [];
    for (let i = 0; i + 1 < nums.length; i += 2) {
      x += nums[i] as number;
      y += nums[i + 1] as number;
      points.push({ x, y });
    }
  }
  return points;
}

const near = (a: number, b: number, tolerance = 0.06) => Math.abs(a - b) <= tolerance;

describe('render/chart', () => {
  describe('renderChartSvg', () => {
    const chart = buildChart();
    const { svg, geometry } = renderChartSvg(chart, 'prod/auth-service · container auth');

    it('draws the limit line at the limit and the request line at the request', () => {
      const limit = byId(svg, 'line', 'limit-line');
      assert.equal(geometry.limitY, geometry.yScale(512 * MI));
      assert.ok(near(Number(limit.y1), geometry.yScale(512 * MI)));
      assert.equal(limit.y1, limit.y2, 'horizontal');
      assert.equal(Number(limit.x1), geometry.plot.left);
      assert.equal(Number(limit.x2), geometry.plot.right);
      assert.equal(textById(svg, 'limit-label'), 'limit 512Mi');
      const request = byId(svg, 'line', 'request-line');
      assert.ok(near(Number(request.y1), geometry.yScale(256 * MI)));
      assert.equal(textById(svg, 'request-label'), 'request 256Mi');
    });

    it('draws the proposed limit as a labelled dashed line', () => {
      const proposed = byId(svg, 'line', 'proposed-line');
      assert.ok(near(Number(proposed.y1), geometry.yScale(GI)));
      assert.ok(proposed['stroke-dasharray'], 'dashed');
      assert.equal(textById(svg, 'proposed-label'), 'proposed 1Gi');
      assert.ok(Number(proposed.y1) < Number(byId(svg, 'line', 'limit-line').y1), 'above the current limit');
    });

    it('puts a marker at every kill time: red for OOM kills, grey for other restarts', () => {
      const markers = elements(svg, 'path', /class="kill-marker/);
      assert.equal(geometry.killXs.length, chart.kills.length);
      chart.kills.forEach((k, i) => {
        const x = geometry.xScale(k.t);
        assert.equal(geometry.killXs[i], x);
        const m = markers.find((mk) => Number(mk['data-t']) === k.t);
        assert.ok(m, `marker for the kill at ${k.t}`);
        assert.ok(near(Number(m['data-x']), x));
        assert.match(m.class ?? '', k.oom ? /\boom\b/ : /\brestart\b/);
        assert.equal(m.fill, k.oom ? '#d62728' : '#8c8c8c');
        // The triangle's apex sits on x.
        const apex = /L([\d.]+) ([\d.]+)Z$/.exec(m.d ?? '');
        assert.ok(apex && near(Number(apex[1]), x));
      });
    });

    it('marks an eviction at its time, in its own colour, with a legend entry', () => {
      const t = chart.window.start + (chart.window.end - chart.window.start) / 3;
      const withEviction = {
        ...chart,
        kills: [...chart.kills, { pod: 'p', t, oom: false, kind: 'eviction' as const }],
      };
      const out = renderChartSvg(withEviction, 'evicted');
      const marker = elements(out.svg, 'path', /class="kill-marker eviction/)[0];
      assert.ok(marker, 'an eviction marker');
      assert.ok(near(Number(marker['data-x']), out.geometry.xScale(t)));
      assert.equal(marker.fill, '#ff7f0e');
      assert.match(out.svg, />eviction</);
    });

    it('draws one line per pod in distinct colours, with a legend', () => {
      const lines = elements(svg, 'path', /class="pod-line"/);
      assert.deepEqual(
        lines.map((l) => l['data-pod']),
        chart.pods.map((p) => p.pod),
      );
      assert.equal(new Set(lines.map((l) => l.stroke)).size, chart.pods.length);
      assert.deepEqual(
        lines.map((l) => l.stroke),
        POD_COLORS.slice(0, chart.pods.length),
      );
      for (const p of chart.pods) assert.ok(svg.includes(`>${p.pod}</text>`), `legend names ${p.pod}`);
    });

    it('puts every sample of a pod where the scales say', () => {
      const pod = chart.pods[0];
      const line = elements(svg, 'path', /class="pod-line"/)[0];
      assert.ok(pod && line);
      const points = pathPoints(line.d ?? '');
      assert.equal(points.length, pod.series.t.length, 'few samples: one point each');
      points.forEach((p, i) => {
        assert.ok(near(p.x, geometry.xScale(pod.series.t[i] as number), 0.11));
        assert.ok(near(p.y, geometry.yScale(pod.series.v[i] as number), 0.11));
      });
    });

    it('overlays traffic on a right axis', () => {
      byId(svg, 'path', 'traffic-line');
      assert.ok(geometry.trafficScale);
      assert.equal(geometry.trafficMax, 2500, '1800 req/s peak: five steps of 500 on the gridlines');
      assert.equal(textById(svg, 'traffic-axis-title'), 'req/s');
      assert.ok(svg.includes('http_requests_total (req/s), right axis'));
      const none = renderChartSvg({ ...chart, traffic: undefined }, 't');
      assert.ok(!none.svg.includes('traffic-line'));
      assert.equal(none.geometry.trafficScale, undefined);
      assert.ok(none.geometry.plot.right > geometry.plot.right, 'the plot takes the unused axis space');
    });

    it('labels time in UTC hours and memory in Mi/Gi', () => {
      assert.ok(geometry.xTicks.length >= 6);
      for (const t of geometry.xTicks) {
        assert.match(t.label, /^\d\d:00$/);
        assert.equal(t.t % 3600, 0);
        assert.equal(t.label, new Date(t.t * 1000).toISOString().slice(11, 16));
      }
      assert.deepEqual(
        geometry.yTicks.map((t) => t.label),
        ['0', '256Mi', '512Mi', '768Mi', '1Gi', '1.25Gi'],
      );
      assert.equal(geometry.yScale(0), geometry.plot.bottom);
      assert.equal(geometry.yScale(geometry.yMaxBytes), geometry.plot.top);
      assert.equal(geometry.xScale(chart.window.start), geometry.plot.left);
      assert.equal(geometry.xScale(chart.window.end), geometry.plot.right);
      assert.ok(svg.includes('>UTC</text>'));
    });

    it('is 1200 px wide and titled with the workload and container', () => {
      assert.equal(geometry.width, 1200);
      assert.match(svg, /^<svg [^>]*width="1200"/);
      assert.equal(textById(svg, 'title'), 'prod/auth-service · container auth');
      assert.equal(chartTitle(buildTarget(), 'auth'), 'prod/auth-service · container auth');
      assert.equal(chartFileName(buildTarget({ namespace: 'a b' })), 'oom-a-b-auth-service.png');
    });

    it('escapes names for XML', () => {
      const evil = buildChart({}, { pods: ['<pod & "x">'] });
      const out = renderChartSvg(evil, '<title> & "quotes"');
      assert.ok(out.svg.includes('&lt;title&gt; &amp; &quot;quotes&quot;'));
      assert.ok(out.svg.includes('data-pod="&lt;pod &amp; &quot;x&quot;&gt;"'));
      assert.ok(!out.svg.includes('<pod'));
      assert.doesNotThrow(() => renderChartPng(evil, '<title> & "quotes"'));
    });

    it('keeps the line labels apart when the values are close', () => {
      const close = renderChartSvg(
        buildChart({ limitBytes: 512 * MI, requestBytes: 510 * MI, proposedLimitBytes: 520 * MI }),
        't',
      );
      const ys = ['limit-label', 'request-label', 'proposed-label']
        .map((id) => Number(byId(close.svg, 'text', id).y))
        .sort((a, b) => a - b);
      assert.ok((ys[1] as number) - (ys[0] as number) >= 14 && (ys[2] as number) - (ys[1] as number) >= 14);
    });

    it('draws a chart with nothing in it', () => {
      const empty: ChartData = {
        window: { start: AT - 3600, end: AT, stepSeconds: 15 },
        pods: [],
        kills: [],
      };
      const out = renderChartSvg(empty, 'empty');
      assert.equal(out.geometry.limitY, undefined);
      assert.ok(out.svg.includes('no memory samples in this window'));
      assert.ok(out.geometry.xTicks.every((t) => /^\d\d:\d\d$/.test(t.label)));
    });
  });

  describe('downsampling', () => {
    // 24 h at 15 s for 10 pods, each with one short spike and one drop.
    const spikeAt = AT - 5 * 3600 + 15;
    const dropAt = AT - 9 * 3600 + 15;
    const big = buildChart(
      { proposedLimitBytes: undefined },
      {
        stepSeconds: 15,
        pods: Array.from({ length: 10 }, (_, i) => `svc-6d5f7b9c4-pod${i}`),
        value: (t, i) =>
          t === spikeAt ? 500 * MI : t === dropAt ? 10 * MI : (300 + i + 5 * Math.sin(t / 900)) * MI,
      },
    );
    const { svg, geometry } = renderChartSvg(big, 'big');

    it('keeps at most two points per pixel column and the SVG small', () => {
      const width = geometry.plot.right - geometry.plot.left;
      for (const p of geometry.pods) assert.ok(p.points <= 2 * (width + 1), `${p.points} points`);
      assert.equal(big.pods[0]?.series.t.length, DAY / 15 + 1);
      assert.ok(svg.length < 400_000, `${svg.length} bytes`);
    });

    it('keeps the peaks and the drops', () => {
      for (const line of elements(svg, 'path', /class="pod-line"/)) {
        const ys = pathPoints(line.d ?? '').map((p) => p.y);
        assert.ok(near(Math.min(...ys), geometry.yScale(500 * MI), 0.2), 'the spike survives');
        assert.ok(near(Math.max(...ys), geometry.yScale(10 * MI), 0.2), 'the drop survives');
      }
    });

    it('breaks a line over a long gap and draws lone samples as dots', () => {
      const t = [AT - DAY, AT - DAY + 15, AT - DAY + 30, AT - 3600, AT - 3600 + 15];
      const gappy = buildChart({ pods: [{ pod: 'p', series: { t, v: t.map(() => 300 * MI) } }] });
      const out = renderChartSvg(gappy, 'gap');
      const line = elements(out.svg, 'path', /class="pod-line"/)[0];
      assert.equal((line?.d ?? '').split('M').length - 1, 2, 'two separate runs');
      const single = buildChart({ pods: [{ pod: 'p', series: { t: [AT - 7200], v: [300 * MI] } }] });
      assert.equal(elements(renderChartSvg(single, 's').svg, 'circle', /class="pod-dot"/).length, 1);
    });

    it('renders the PNG of the big chart', () => {
      const png = renderChartPng(big, 'big');
      assert.ok(png.length > 1000);
    });
  });

  describe('renderChartPng', () => {
    it('makes a PNG about 1200 px wide', () => {
      const png = renderChartPng(buildChart(), 'prod/auth-service · container auth');
      assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
      assert.equal(String.fromCharCode(...png.subarray(12, 16)), 'IHDR');
      assert.equal(view.getUint32(16), 1200);
      assert.ok(view.getUint32(20) > 500);
    });

    it('draws text (the machine has a font resvg can use)', () => {
      // Without a usable font resvg silently drops text, and both titles give the same image.
      const a = renderChartPng(buildChart(), '.');
      const b = renderChartPng(buildChart(), 'WWWWWWWWWWWWWWWWWWWW');
      assert.notDeepEqual(a, b, 'no font found: install fonts-dejavu-core');
    });
  });
});
