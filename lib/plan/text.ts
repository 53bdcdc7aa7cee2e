/** Plain-text layout of the run plan: aligned tables and wrapped lines with a hanging indent. */

type Align = 'left' | 'right';

/** Rows of cells as aligned text; `align` gives each column's alignment (default left). */
export function renderTable(
  rows: readonly (readonly string[])[],
  align: readonly Align[] = [],
  indent = '  ',
): string[] {
  const columns = Math.max(0, ...rows.map((r) => r.length));
  const widths = Array.from({ length: columns }, (_, i) => Math.max(0, ...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((row) =>
    (
      indent +
      row
        .map((cell, i) =>
          align[i] === 'right' ? cell.padStart(widths[i]) : i === row.length - 1 ? cell : cell.padEnd(widths[i]),
        )
        .join('  ')
    ).trimEnd(),
  );
}

/** Words of `text` in lines of at most `width` characters (a longer word gets a line of its own). */
function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** `text` wrapped to `width`, the first line after `first`, the others after as many spaces. */
export function hanging(first: string, text: string, width: number): string[] {
  const pad = ' '.repeat(first.length);
  return wrapWords(text, width - first.length).map((line, i) => (i === 0 ? first : pad) + line);
}
