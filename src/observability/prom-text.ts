/** Parses the Prometheus text exposition (what /metrics serves); used by tests and benchmarks that read nodes' metrics. */
/** One sample of a Prometheus text exposition: `name{label="v",…} value`. */
export interface Sample { name: string; labels: Record<string, string>; value: number }

export function parsePromText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** The samples of one series name whose labels include `labels`. */
export const select = (samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

export const total = (samples: Sample[], name: string, labels: Record<string, string> = {}): number =>
  select(samples, name, labels).reduce((sum, s) => sum + s.value, 0);

/** A node's /metrics, from its admin listener. */
export async function scrape(adminAddress: string): Promise<Sample[]> {
  const res = await fetch(`http://${adminAddress}/metrics`);
  if (!res.ok) throw new Error(`/metrics on ${adminAddress} answered ${res.status}`);
  return parsePromText(await res.text());
}
