/** Parses the text after `/oom`: `<service> [-n namespace] [--cluster name]`, or `risks [namespace]`. Pure. */

export const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const CONTEXT_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.@:/]*[A-Za-z0-9])?$/;

export const USAGE = [
  '*Usage:* `/oom <service> [-n <namespace>] [--cluster <name>]`',
  '• `<service>`: a Service, a workload, or an `app` label, e.g. `auth-service`',
  '• `-n`, `--namespace`: look only in this namespace (default: all namespaces)',
  '• `--cluster`: the kubeconfig context to ask (default: the bot’s own cluster)',
  '*Forecast:* `/oom risks [<namespace>] [--cluster <name>]`: the containers at risk of an OOM kill, most urgent first',
].join('\n');

type OomCommand =
  | { kind: 'diagnose'; name: string; namespace?: string; cluster?: string }
  | { kind: 'risks'; namespace?: string; cluster?: string }
  | { kind: 'help' }
  | { kind: 'invalid'; reason: string };

function validName(value: string, what: string): string | undefined {
  if (value.length > 63) return `${what} is longer than 63 characters`;
  if (!DNS_1123_LABEL.test(value))
    return `${what} "${value}" is not a valid Kubernetes name (lowercase letters, digits and '-')`;
  return undefined;
}

export function parseOomCommand(text: string): OomCommand {
  const tokens = text.trim().split(/\s+/).filter(Boolean);
  if (tokens.length === 0 || tokens[0] === 'help' || tokens[0] === '-h' || tokens[0] === '--help')
    return { kind: 'help' };
  const risks = tokens[0] === 'risks';
  if (risks) tokens.shift();
  let name: string | undefined;
  let namespace: string | undefined;
  let cluster: string | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    const [flag, inline] = token.startsWith('--')
      ? (token.split('=', 2) as [string, string | undefined])
      : [token, undefined];
    if (flag === '-n' || flag === '--namespace' || flag === '--cluster') {
      const value = inline ?? tokens[++i];
      if (value === undefined || value.startsWith('-'))
        return { kind: 'invalid', reason: `${flag} needs a value` };
      if (flag === '--cluster') {
        if (!CONTEXT_NAME.test(value) || value.length > 253)
          return { kind: 'invalid', reason: `cluster "${value}" is not a valid context name` };
        cluster = value;
      } else {
        const bad = validName(value, 'namespace');
        if (bad) return { kind: 'invalid', reason: bad };
        namespace = value;
      }
      continue;
    }
    if (token.startsWith('-')) return { kind: 'invalid', reason: `unknown option ${token}` };
    if (risks) {
      if (namespace !== undefined)
        return { kind: 'invalid', reason: `one namespace at a time (got "${namespace}" and "${token}")` };
      const bad = validName(token, 'namespace');
      if (bad) return { kind: 'invalid', reason: bad };
      namespace = token;
      continue;
    }
    if (name !== undefined)
      return { kind: 'invalid', reason: `one service at a time (got "${name}" and "${token}")` };
    const bad = validName(token, 'service');
    if (bad) return { kind: 'invalid', reason: bad };
    name = token;
  }
  if (risks) return { kind: 'risks', namespace, cluster };
  if (name === undefined) return { kind: 'invalid', reason: 'name a service' };
  return { kind: 'diagnose', name, namespace, cluster };
}
