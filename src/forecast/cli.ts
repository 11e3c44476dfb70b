/**
 * `oom-bot risks [--namespace NS] [--scenario DIR] [--at RFC3339] [--output text|json|slack]`:
 * one forecast scan, printed. JSON is `{at, risks: [{target, risk, etaSeconds, evidence, actions}]}`,
 * most urgent first; slack is the Block Kit message `/oom risks` answers with.
 */
import { parseArgs } from 'node:util';
import type { Forecast } from '../domain/forecast/types.ts';
import { usageError } from '../errors.ts';
import { renderRiskList } from '../render/blocks/risks.ts';
import { renderAsText } from '../render/blocks/text.ts';
import { DNS_1123_LABEL } from '../slack/command.ts';
import { type ScanResult, type ScanSources, scanRisks } from './scan.ts';

interface RisksOptions {
  namespace?: string;
  scenario?: string;
  at?: string;
  output: 'text' | 'json' | 'slack';
  cluster?: string;
  windowHours?: number;
}

export function parseRisksArgs(argv: string[]): RisksOptions {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      namespace: { type: 'string', short: 'n' },
      scenario: { type: 'string' },
      at: { type: 'string' },
      output: { type: 'string', short: 'o', default: 'text' },
      cluster: { type: 'string' },
      'window-hours': { type: 'string' },
    },
  });
  if (positionals.length > 0) throw usageError(`risks takes no positional argument, got "${positionals[0]}"`);
  if (values.namespace !== undefined && !DNS_1123_LABEL.test(values.namespace))
    throw usageError(`namespace "${values.namespace}" is not a valid Kubernetes name`);
  const output = values.output as string;
  if (output !== 'text' && output !== 'json' && output !== 'slack')
    throw usageError(`--output must be text, json or slack, got "${output}"`);
  const windowHours = values['window-hours'] === undefined ? undefined : Number(values['window-hours']);
  if (windowHours !== undefined && !(windowHours >= 1 && windowHours <= 24 * 14))
    throw usageError('--window-hours must be between 1 and 336');
  if (
    values.at !== undefined &&
    (!/^\d{4}-\d{2}-\d{2}T/.test(values.at) || !Number.isFinite(Date.parse(values.at)))
  )
    throw usageError(`--at must be an RFC 3339 time, got "${values.at}"`);
  return {
    namespace: values.namespace,
    scenario: values.scenario,
    at: values.at,
    output,
    cluster: values.cluster,
    windowHours,
  };
}

/** The JSON report: the forecast without the scan's cost figures. */
function toRisksJson(result: Forecast): Forecast {
  return {
    at: result.at,
    risks: result.risks.map((r) => ({
      target: r.target,
      risk: r.risk,
      etaSeconds: r.etaSeconds,
      evidence: r.evidence,
      actions: r.actions,
    })),
  };
}

function formatRisks(result: ScanResult, options: RisksOptions): string {
  if (options.output === 'json') return JSON.stringify(toRisksJson(result), null, 2);
  const message = renderRiskList(result.risks, { at: result.at, namespace: options.namespace });
  if (options.output === 'slack') return JSON.stringify(message);
  const cost = result.cost;
  const failed = cost.failed > 0 ? `; ${cost.failed} candidate(s) not confirmed (a source failed)` : '';
  return `${renderAsText({ root: message, thread: [] })}\n\n(${cost.containers} containers read in ${cost.bulkQueries} queries and ${cost.lists} lists; ${cost.candidates} analysed in full${failed})`;
}

/** Run the scan the options ask for on the given sources, and render it. */
export async function runRisks(
  sources: ScanSources,
  options: RisksOptions,
  at: number,
  windowSeconds?: number,
): Promise<string> {
  const result = await scanRisks(sources, {
    at,
    namespace: options.namespace,
    cluster: options.cluster,
    windowSeconds: options.windowHours ? options.windowHours * 3600 : windowSeconds,
  });
  return formatRisks(result, options);
}
