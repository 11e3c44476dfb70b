/**
 * Label matchers in Alertmanager's syntax (`name="v"`, `name!="v"`, `name=~"re"`, `name!~"re"`),
 * deciding which alerts start a diagnosis. A rule is a list of matchers that must all match,
 * optionally in braces; rules are separated by `;` or new lines and an alert is taken when any
 * rule matches. Regexes are anchored like Prometheus's; a missing label reads as "".
 */
import { OomBotError } from '../errors.ts';

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  name: string;
  op: MatchOp;
  value: string;
}

/** Every matcher must match. */
export type MatcherRule = readonly LabelMatcher[];

/**
 * The default rules: container OOM kills (the shipped `KubeContainerOOMKilled` and
 * awesome-prometheus-alerts' `KubernetesContainerOomKiller`, both on
 * `kube_pod_container_status_last_terminated_reason{reason="OOMKilled"}`), CrashLoopBackOff
 * with an OOM reason, memory near the limit, and node MemoryPressure.
 */
export const DEFAULT_ALERT_MATCHERS = [
  'alertname=~"KubeContainerOOMKilled|KubernetesContainerOomKiller"',
  'alertname=~"KubeContainerCrashLoopOOM|KubePodCrashLooping|KubernetesPodCrashLooping", reason=~".*(OOM|Oom|oom).*"',
  'alertname=~"KubeContainerMemoryNearLimit|KubernetesContainerMemoryNearLimit"',
  'alertname=~"KubeNodeMemoryPressure|KubernetesMemoryPressure"',
].join('\n');

const NAME = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const OP = /=~|!~|!=|=/y;
const SPACE = /[ \t]*/y;
const UNQUOTED = /[^,;{}"\n\s]*/y;
/** In a channel route an unquoted value ends at the `:` before the channel. */
const UNQUOTED_IN_ROUTE = /[^,;{}:"\n\s]*/y;

const regexCache = new Map<string, RegExp>();

function anchored(source: string): RegExp {
  let re = regexCache.get(source);
  if (!re) {
    re = new RegExp(`^(?:${source})$`, 'su');
    regexCache.set(source, re);
  }
  return re;
}

/** A small cursor parser shared by the rule and channel-route parsers. */
export class MatcherScanner {
  readonly text: string;
  pos = 0;

  constructor(text: string) {
    this.text = text;
  }

  private sticky(re: RegExp): string | undefined {
    re.lastIndex = this.pos;
    const m = re.exec(this.text);
    if (!m) return undefined;
    this.pos = re.lastIndex;
    return m[0];
  }

  skipSpace(): void {
    this.sticky(SPACE);
  }

  peek(): string | undefined {
    return this.text[this.pos];
  }

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  fail(what: string): never {
    const near = this.text.slice(this.pos, this.pos + 20);
    throw new OomBotError(
      'config_invalid',
      `${what} at character ${this.pos + 1}${near ? ` (near "${near}")` : ''}`,
    );
  }

  private quoted(): string {
    let out = '';
    this.pos++; // opening quote
    while (this.pos < this.text.length) {
      const c = this.text[this.pos++] as string;
      if (c === '"') return out;
      if (c === '\\') {
        const next = this.text[this.pos++];
        if (next === undefined) break;
        out += next === 'n' ? '\n' : next;
      } else out += c;
    }
    return this.fail('unterminated quoted value');
  }

  /** One `name op value` matcher. */
  matcher(inRoute = false): LabelMatcher {
    this.skipSpace();
    const name = this.sticky(NAME);
    if (!name) this.fail('expected a label name');
    this.skipSpace();
    const op = this.sticky(OP) as MatchOp | undefined;
    if (!op) this.fail(`expected =, !=, =~ or !~ after ${name}`);
    this.skipSpace();
    const value =
      this.peek() === '"' ? this.quoted() : (this.sticky(inRoute ? UNQUOTED_IN_ROUTE : UNQUOTED) ?? '');
    if (op === '=~' || op === '!~') {
      try {
        anchored(value);
      } catch (error) {
        this.fail(`invalid regex for ${name}: ${(error as Error).message}`);
      }
    }
    this.skipSpace();
    return { name, op, value };
  }

  /**
   * Matchers separated by commas, optionally in braces; stops before `;` or a new line. In a
   * channel route (`inRoute`) a comma outside braces separates routes, so only braces group.
   */
  matcherList(inRoute = false): LabelMatcher[] {
    this.skipSpace();
    const braced = this.peek() === '{';
    if (braced) this.pos++;
    const out: LabelMatcher[] = [];
    for (;;) {
      this.skipSpace();
      if (braced && this.peek() === '}') break;
      out.push(this.matcher(inRoute && !braced));
      if (this.peek() !== ',' || (inRoute && !braced)) break;
      this.pos++;
    }
    if (braced) {
      this.skipSpace();
      if (this.peek() !== '}') this.fail('expected }');
      this.pos++;
      this.skipSpace();
    }
    if (out.length === 0) this.fail('expected at least one matcher');
    return out;
  }
}

/** Parse rules (`;` or new-line separated matcher lists). Throws a config_invalid OomBotError with the reason. */
export function parseMatcherRules(text: string): MatcherRule[] {
  const rules: MatcherRule[] = [];
  const s: MatcherScanner = new MatcherScanner(text);
  for (;;) {
    while (!s.atEnd() && /[\s;]/.test(s.peek() as string)) s.pos++;
    if (s.atEnd()) break;
    rules.push(s.matcherList());
    s.skipSpace();
    if (!s.atEnd() && !/[;\n\r]/.test(s.peek() as string)) s.fail('expected ; or a new line between rules');
  }
  if (rules.length === 0) throw new OomBotError('config_invalid', 'no matcher rules');
  return rules;
}

function matches(labels: Readonly<Record<string, string>>, m: LabelMatcher): boolean {
  const actual = labels[m.name] ?? '';
  switch (m.op) {
    case '=':
      return actual === m.value;
    case '!=':
      return actual !== m.value;
    case '=~':
      return anchored(m.value).test(actual);
    case '!~':
      return !anchored(m.value).test(actual);
  }
}

export function matchesRule(labels: Readonly<Record<string, string>>, rule: MatcherRule): boolean {
  return rule.every((m) => matches(labels, m));
}

/** Whether an alert starts a diagnosis: any rule matches. */
export function matchesAnyRule(
  labels: Readonly<Record<string, string>>,
  rules: readonly MatcherRule[],
): boolean {
  return rules.some((rule) => matchesRule(labels, rule));
}
