// Test helpers for the status port: its URL from a node's stderr, GET, and a strict reader of
// the Prometheus text format that fails on anything malformed.
import { get } from 'node:http';

/** http://HOST:PORT of a node started with --http, from its start line. */
export function statusUrl(node: { stderr(): string }): string {
  const m = /status page at (http:\/\/\S+?)\/ /.exec(node.stderr());
  if (!m) throw new Error(`no status page line in:\n${node.stderr()}`);
  return m[1]!;
}

export function httpGet(url: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    // A fresh connection each time: reusing a kept-alive one races with the server closing it
    // after its keep-alive timeout (5 s), which a loaded machine can reach between two requests.
    get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * Parses an exposition; throws on a line that is not HELP, TYPE or a sample, a sample before its
 * family's HELP and TYPE, a family declared twice, a duplicate sample or a bad label escape.
 */
export function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const types = new Map<string, string>();
  const helped = new Set<string>();
  const seen = new Set<string>();
  const samples: Sample[] = [];
  if (!text.endsWith('\n')) throw new Error('the exposition does not end with a line feed');
  for (const line of text.slice(0, -1).split('\n')) {
    let m: RegExpExecArray | null;
    // Every group but a sample's labels always takes part in a match: the `!`s below.
    if ((m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$/.exec(line))) {
      const name = m[1]!;
      if (helped.has(name)) throw new Error(`HELP twice for ${name}`);
      helped.add(name);
    } else if ((m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|untyped)$/.exec(line))) {
      const name = m[1]!;
      if (types.has(name)) throw new Error(`TYPE twice for ${name}`);
      types.set(name, m[2]!);
    } else if ((m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.e+]+)$/.exec(line))) {
      const name = m[1]!;
      const labelText = m[2] ?? '';
      const value = m[3]!;
      if (!types.has(name) || !helped.has(name)) throw new Error(`sample before HELP/TYPE: ${line}`);
      if (seen.has(name + '{' + labelText + '}')) throw new Error(`duplicate sample: ${line}`);
      seen.add(name + '{' + labelText + '}');
      samples.push({ name, labels: parseLabels(labelText, line), value: Number(value) });
    } else {
      throw new Error(`not an exposition line: ${JSON.stringify(line)}`);
    }
  }
  return { samples, types };
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"(,|$)/y;
  let at = 0;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) throw new Error(`bad labels in: ${line}`);
    labels[m[1]!] = m[2]!.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
    at = re.lastIndex;
  }
  return labels;
}

/** The value of the sample with exactly these labels, or undefined. */
export function sampleValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const want = JSON.stringify(Object.entries(labels).sort());
  return samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want)?.value;
}
