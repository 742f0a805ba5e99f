// Reading a Prometheus text exposition in tests: the series of a metric, one sample's value, and
// every metric family a scrape declares.

/** One series: its labels and value. */
export interface Series {
  labels: Record<string, string>
  value: number
}

/** Every series of `name`. */
export function series(text: string, name: string): Series[] {
  const found: Series[] = []
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (match === null || match[1] !== name) continue
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]))
    found.push({ labels, value: Number(match[3]) })
  }
  return found
}

/** The value of `name` with exactly `labels` (0 when the series is absent). */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels)
  const hit = series(text, name).find((s) => Object.keys(s.labels).length === wanted.length && wanted.every(([k, v]) => s.labels[k] === v))
  return hit?.value ?? 0
}

/** The metric families a scrape declares (from its # TYPE lines), with their types. */
export function families(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]))
}
