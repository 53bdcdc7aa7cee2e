/** Number formats of the run plan: thousands separators, USD, hours. */

const EN = 'en-US';

/** A whole number with thousands separators (rounded): 21,484,375. */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString(EN);
}

/** A number with `decimals` decimals and thousands separators: 2,827.7. */
export function formatNumber(value: number, decimals: number): string {
  return value.toLocaleString(EN, { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** A sum in USD: whole dollars from $1,000 up ($87,634), cents below ($150.33). */
export function formatUsd(value: number): string {
  const sign = value < 0 ? '-' : '';
  const abs = Math.abs(value);
  return abs >= 1000 ? `${sign}$${formatCount(abs)}` : `${sign}$${formatNumber(abs, 2)}`;
}

/** A unit price as published: at least 2 decimals, up to 4 ($24.78, $0.145, $0.60). */
export function formatPrice(value: number): string {
  return `$${value.toLocaleString(EN, { minimumFractionDigits: 2, maximumFractionDigits: 4 })}`;
}
