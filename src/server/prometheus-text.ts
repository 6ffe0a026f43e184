/** One metric family in Prometheus' text exposition format (version 0.0.4). */
export interface MetricFamily {
  name: string;
  help: string;
  type: 'gauge' | 'counter' | 'histogram';
  samples: { suffix?: string; labels?: Record<string, string>; value: number }[];
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

/** Renders metric families as the text Prometheus scrapes. Pure. */
export function prometheusText(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const labels = Object.entries(s.labels ?? {});
      const text = labels.length ? `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
      lines.push(`${f.name}${s.suffix ?? ''}${text} ${Number.isFinite(s.value) ? s.value : s.value > 0 ? '+Inf' : 'NaN'}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** A histogram family from observed values (seconds), with cumulative buckets, sum and count. */
export function histogram(name: string, help: string, values: readonly number[], bounds: readonly number[]): MetricFamily {
  const samples: MetricFamily['samples'] = bounds.map((le) => ({ suffix: '_bucket', labels: { le: String(le) }, value: values.filter((v) => v <= le).length }));
  samples.push({ suffix: '_bucket', labels: { le: '+Inf' }, value: values.length });
  samples.push({ suffix: '_sum', value: values.reduce((a, b) => a + b, 0) });
  samples.push({ suffix: '_count', value: values.length });
  return { name, help, type: 'histogram', samples };
}
