/**
 * Small helpers the benchmarks share: medians and spreads of ratios, rotation of the variants, the
 * equal-output check, the machine line.
 */
import * as os from 'os';

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Median, min and max of a list of ratios, printed as `1.23x (1.10x..1.40x, 15 runs)`. */
export function ratioSummary(ratios: number[]): string {
  return `${median(ratios).toFixed(2)}x (min ${Math.min(...ratios).toFixed(2)}x, max ${Math.max(...ratios).toFixed(2)}x, ${ratios.length} runs)`;
}

/** The variants in the order of round `round`: each round starts one further, so none always runs first. */
export function rotated<T>(items: readonly T[], round: number): T[] {
  const k = round % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

/**
 * Throws unless every variant produced the same text as the first: a baseline that emits other objects does
 * other work, and a ratio against it would mean nothing.
 */
export function requireSameOutput(outputs: { readonly [variant: string]: string }): void {
  const [reference, ...others] = Object.keys(outputs);
  for (const other of others) {
    const a = outputs[reference];
    const b = outputs[other];
    if (a === b) continue;
    let i = 0;
    while (i < a.length && a[i] === b[i]) i++;
    const line = a.slice(0, i).split('\n').length;
    throw new Error(
      `'${other}' does not emit the same YAML as '${reference}' (${b.length} against ${a.length} bytes; first difference on line ${line}: ` +
      `${JSON.stringify(a.split('\n')[line - 1])} against ${JSON.stringify(b.split('\n')[line - 1])}). No ratio is reported for unequal work.`,
    );
  }
}

/** One line naming the machine the figures come from. */
export function machine(): string {
  const cpus = os.cpus();
  return `${cpus.length} CPUs (${cpus[0]?.model.trim() ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ` +
    `Node ${process.version}, ${os.platform()} ${os.release()}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`;
}
