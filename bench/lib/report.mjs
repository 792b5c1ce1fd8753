// The benchmark's table (stdout) and its checks against the targets of the performance issue.

const fmt = (value, digits = 0) =>
  value === undefined || value === null || Number.isNaN(value) ? '–' : Number(value).toFixed(digits);
const mb = (bytes) => (bytes ? (bytes / 1024 / 1024).toFixed(0) : '–');

export function median(values) {
  const sorted = values.filter((v) => typeof v === 'number' && !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** @param {Array<object>} rows see run.mjs (scenario rows) */
export function table(rows) {
  const header = ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'errors', '× base', 'RSS MB', 'pg xacts', 'lookups', 'note'];
  const lines = rows.map((r) => [
    r.label,
    fmt(r.rps),
    fmt(r.p50Ms, 2),
    fmt(r.p99Ms, 2),
    r.errors === undefined ? '–' : String(r.errors),
    r.ratio === undefined ? '–' : fmt(r.ratio, 2),
    mb(r.peakRss),
    r.pg ? String(r.pg.xacts) : '–',
    r.pg ? String(r.pg.lookups) : '–',
    r.note ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const render = (cells) =>
    cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [render(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(render)].join('\n');
}

export function targetsTable(targets) {
  return targets.map((t) => `${t.met === undefined ? ' n/a ' : t.met ? ' MET ' : 'NOT MET'}  ${t.name}: ${t.detail}`).join('\n');
}
