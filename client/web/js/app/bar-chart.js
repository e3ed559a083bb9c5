// A stacked horizontal bar (SVG, built here: no library) showing how one
// person's or one motion's ballots split across the levels. The table next to
// it is the primary content; the chart is labelled and carries a text
// alternative listing every segment, so a screen reader gets the same facts.

import { el } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 600;
const HEIGHT = 36;

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  return node;
}

/**
 * segments: [{label: string, count: number, percent: string, swatch: string}]
 * (swatch: a CSS class suffix, '0'..'3' or 'blank'). Returns a <figure>.
 */
export function stackedBar({ id, caption, segments, altText }) {
  const total = segments.reduce((sum, s) => sum + s.count, 0);
  const captionId = `${id}-caption`;
  const altId = `${id}-alt`;
  const chart = svg('svg', {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    role: 'img',
    'aria-labelledby': `${captionId} ${altId}`,
    preserveAspectRatio: 'none',
    focusable: 'false',
  });
  let x = 0;
  segments.forEach((segment, i) => {
    if (!total || !segment.count) return;
    // The last drawn segment ends exactly at the right edge (no rounding gap).
    const rest = segments.slice(i + 1).some((s) => s.count);
    const width = rest ? Math.round((segment.count / total) * WIDTH) : WIDTH - x;
    const rect = svg('rect', {
      x, y: 0, width, height: HEIGHT, class: `bar-${segment.swatch}`, 'data-slot': segment.slot ?? '',
    });
    const title = svg('title');
    title.textContent = `${segment.label}: ${segment.count} (${segment.percent}%)`;
    rect.append(title);
    chart.append(rect);
    x += width;
  });
  chart.append(svg('rect', { x: 0.5, y: 0.5, width: WIDTH - 1, height: HEIGHT - 1, class: 'bar-frame' }));
  return el('figure', { class: 'chart', 'data-testid': `chart-${id}` },
    el('figcaption', { id: captionId, class: 'chart-label' }, caption),
    chart,
    el('p', { id: altId, class: 'visually-hidden' }, altText));
}
