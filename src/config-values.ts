/** The value syntaxes of the environment variables: URLs, host:port lists, comma lists. Validated with zod. */
import { z } from 'zod';

export const optionalString = z
  .string()
  .trim()
  .transform((s) => (s === '' ? undefined : s))
  .optional();

export const url = (protocols: string[]) =>
  z
    .string()
    .trim()
    .refine(
      (s) => {
        try {
          return protocols.includes(new URL(s).protocol);
        } catch {
          return false;
        }
      },
      `must be a ${protocols.join(' or ')} URL`,
    );

/** `host:port,host:port` (Sentinel or Cluster seed nodes). */
export const hostPorts = z
  .string()
  .trim()
  .transform((s, ctx) => {
    const nodes: Array<{ host: string; port: number }> = [];
    for (const item of s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean)) {
      const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(item);
      const port = Number(m?.[2]);
      if (!m || port < 1 || port > 65535) {
        ctx.addIssue({ code: 'custom', message: `"${item}" is not host:port` });
        return z.NEVER;
      }
      nodes.push({ host: (m[1] as string).replace(/^\[|\]$/g, ''), port });
    }
    return nodes.length > 0 ? nodes : undefined;
  });

/** `context=url,context=url`: a Prometheus per kubeconfig context (one bot, several clusters). */
export const prometheusByContext = z
  .string()
  .trim()
  .transform((s, ctx) => {
    const map: Record<string, string> = {};
    for (const item of s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean)) {
      const at = item.indexOf('=');
      const context = item.slice(0, at).trim();
      const target = item.slice(at + 1).trim();
      let ok = at > 0;
      try {
        ok &&= ['http:', 'https:'].includes(new URL(target).protocol);
      } catch {
        ok = false;
      }
      if (!ok) {
        ctx.addIssue({ code: 'custom', message: `"${item}" is not context=http(s)://url` });
        return z.NEVER;
      }
      map[context] = target;
    }
    return map;
  });

/** `a,b,c` of ids matching `item`; empty or unset is no list (everyone, everything). */
export function commaList(item: RegExp, what: string) {
  return z
    .string()
    .optional()
    .transform((s, ctx) => {
      const items = (s ?? '')
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
      const bad = items.find((x) => !item.test(x));
      if (bad !== undefined) {
        ctx.addIssue({ code: 'custom', message: `"${bad}" is not one of ${what}` });
        return z.NEVER;
      }
      return items;
    });
}
