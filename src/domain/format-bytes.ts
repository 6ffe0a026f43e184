const UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/**
 * "1.5 GiB", "512 MiB", "1.25 GiB", "512 bytes": a size in the largest binary unit, as hosts write
 * them in competition.yaml. Every message and table of the server and the CLI says sizes this way.
 */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} bytes` : `${Number(value.toFixed(value < 10 ? 2 : 1))} ${UNITS[unit]}`;
}

/** "1.5 GiB (1610612736 bytes)": readable, and exact for those who compare against a limit. */
export function formatBytesExact(bytes: number): string {
  return bytes < 1024 ? formatBytes(bytes) : `${formatBytes(bytes)} (${bytes} bytes)`;
}
