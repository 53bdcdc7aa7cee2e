/**
 * The HTML perplexity report in a real browser: Debian's Chromium, headless, driven by playwright-core (which never
 * downloads a browser of its own). The sample report (data/sample/evaluation/perplexity.json) is rendered by the
 * Python renderer (through cli/report/render.ts), opened from file:// with JavaScript off (the page has none), and checked as
 * a person would see it: each chart visible and of a real size, each series with one vertex per model and every
 * point inside its plot area, the series colours on the screenshot's pixels, no request leaving the page, no console
 * error. Without Chromium this test fails (never skips): install it with `scripts/chromium-env.sh install`.
 *
 * REPORT_SCREENSHOT=/tmp/report-fixture.png npx jest test/report  also saves the screenshot there.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import { renderReport } from '../../cli/report/render';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** As the machine notes ask: no GPU, no QUIC, and none of Chromium's own connections to Google's hosts. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SAMPLE = path.join(__dirname, '..', '..', 'data', 'sample', 'evaluation', 'perplexity.json');

interface Sample {
  run: string;
  models: { name: string; sets: Record<string, { perplexity: number }> }[];
}

interface Watched {
  page: Page;
  /** Every request the page made (the page itself included). */
  requests: string[];
  /** Requests other than the page itself: answered with an error. */
  blocked: string[];
  /** Console errors and uncaught page errors. */
  errors: string[];
}

let browser: Browser;
let dir: string;
let sample: Sample;
let pageUrl: string;

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: run scripts/chromium-env.sh install (Debian's chromium package; ` +
        'the browser test never downloads a browser, and never skips)',
    );
  }
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-render-'));
  sample = JSON.parse(fs.readFileSync(SAMPLE, 'utf8')) as Sample;
  pageUrl = pathToFileURL(renderReport(SAMPLE, path.join(dir, 'report.html'))).href;
  // playwright-core starts Chromium headless with a fresh temporary profile (--user-data-dir) of its own.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
});

afterAll(async () => {
  await browser?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** A page that may load `url` and nothing else, with every request and error recorded. */
async function watchedPage(context: BrowserContext, url: string): Promise<Watched> {
  const watched: Watched = { page: await context.newPage(), requests: [], blocked: [], errors: [] };
  await context.route('**/*', async (route) => {
    if (route.request().url() === url) {
      await route.continue();
    } else {
      watched.blocked.push(route.request().url());
      await route.abort('blockedbyclient');
    }
  });
  watched.page.on('request', (request) => watched.requests.push(request.url()));
  watched.page.on('console', (message) => {
    if (message.type() === 'error') watched.errors.push(message.text());
  });
  watched.page.on('pageerror', (error) => watched.errors.push(error.message));
  return watched;
}

interface ChartGeometry {
  set: string;
  stroke: string;
  vertices: number;
  plot: { left: number; top: number; right: number; bottom: number };
  line: { left: number; top: number; right: number; bottom: number };
  points: { model: string; x: number; y: number; width: number }[];
}

/** Each chart's plot area, series line and points, in CSS pixels of the page (getBoundingClientRect). */
function chartGeometry(page: Page): Promise<ChartGeometry[]> {
  return page.evaluate(() => {
    // Runs in the page: typed loosely, as the project compiles without the DOM library.
    const doc = (globalThis as any).document;
    const box = (element: any) => {
      const r = element.getBoundingClientRect();
      return { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
    };
    return Array.from(doc.querySelectorAll('svg.chart')).map((svg: any) => {
      const line = svg.querySelector('polyline.series');
      return {
        set: svg.getAttribute('data-set'),
        stroke: line.getAttribute('stroke'),
        vertices: line.points.numberOfItems,
        plot: box(svg.querySelector('rect.plot-area')),
        line: box(line),
        points: Array.from(svg.querySelectorAll('circle.point')).map((circle: any) => {
          const r = circle.getBoundingClientRect();
          return {
            model: circle.getAttribute('data-model'),
            x: r.left + r.width / 2,
            y: r.top + r.height / 2,
            width: r.width,
          };
        }),
      };
    });
  });
}

/** How many pixels of the PNG are each colour (within `tolerance` per channel), decoded by a canvas of a blank page. */
async function countColours(
  png: Buffer,
  colours: string[],
  tolerance = 3,
): Promise<{ width: number; height: number; counts: number[] }> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    return await page.evaluate(
      async ({ data, hexes, tol }) => {
        const g = globalThis as any;
        const image = new g.Image();
        image.src = `data:image/png;base64,${data}`;
        await image.decode();
        const canvas = g.document.createElement('canvas');
        canvas.width = image.naturalWidth;
        canvas.height = image.naturalHeight;
        const context2d = canvas.getContext('2d');
        context2d.drawImage(image, 0, 0);
        const pixels = context2d.getImageData(0, 0, canvas.width, canvas.height).data;
        const targets = hexes.map((hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)));
        const counts = targets.map(() => 0);
        for (let i = 0; i < pixels.length; i += 4) {
          for (let k = 0; k < targets.length; k++) {
            const [r, gr, b] = targets[k];
            if (
              Math.abs(pixels[i] - r) <= tol &&
              Math.abs(pixels[i + 1] - gr) <= tol &&
              Math.abs(pixels[i + 2] - b) <= tol
            )
              counts[k]++;
          }
        }
        return { width: canvas.width as number, height: canvas.height as number, counts };
      },
      { data: png.toString('base64'), hexes: colours, tol: tolerance },
    );
  } finally {
    await context.close();
  }
}

test('the sample report: charts visible, one vertex per model, points inside the plot, colours on screen, nothing loaded', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 1000 } });
  try {
    const { page, requests, blocked, errors } = await watchedPage(context, pageUrl);
    const response = await page.goto(pageUrl, { waitUntil: 'load' });
    expect(response?.ok()).toBe(true);
    expect(await page.title()).toBe('Perplexity report: pubmed-v1');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Perplexity report: pubmed-v1');

    // Each chart: visible, and of a size a person can read.
    const charts = page.locator('svg.chart');
    expect(await charts.count()).toBe(2);
    for (let i = 0; i < 2; i++) {
      expect(await charts.nth(i).isVisible()).toBe(true);
      const box = await charts.nth(i).boundingBox();
      expect(box).not.toBeNull();
      expect(box!.width).toBeGreaterThan(400);
      expect(box!.height).toBeGreaterThan(200);
    }
    for (const heading of ['Domain held-out set', 'General held-out set', 'All models']) {
      expect(await page.getByRole('heading', { name: heading }).isVisible()).toBe(true);
    }
    expect(await page.locator('tr.model-row').count()).toBe(sample.models.length);

    // Each series: one vertex and one visible point per model, all inside the plot area, left to right.
    const geometry = await chartGeometry(page);
    expect(geometry.map((g) => g.set)).toEqual(['domain', 'general']);
    for (const chart of geometry) {
      expect(chart.vertices).toBe(sample.models.length);
      expect(chart.points.map((p) => p.model)).toEqual(sample.models.map((m) => m.name));
      const { plot } = chart;
      expect(plot.right - plot.left).toBeGreaterThan(300);
      expect(plot.bottom - plot.top).toBeGreaterThan(150);
      for (const point of chart.points) {
        expect(point.width).toBeGreaterThan(6);
        expect(point.x).toBeGreaterThanOrEqual(plot.left - 0.5);
        expect(point.x).toBeLessThanOrEqual(plot.right + 0.5);
        expect(point.y).toBeGreaterThanOrEqual(plot.top - 0.5);
        expect(point.y).toBeLessThanOrEqual(plot.bottom + 0.5);
      }
      const xs = chart.points.map((p) => p.x);
      expect([...xs].sort((a, b) => a - b)).toEqual(xs);
      expect(chart.line.left).toBeGreaterThanOrEqual(plot.left - 2);
      expect(chart.line.right).toBeLessThanOrEqual(plot.right + 2);
      expect(chart.line.top).toBeGreaterThanOrEqual(plot.top - 2);
      expect(chart.line.bottom).toBeLessThanOrEqual(plot.bottom + 2);
      // Lower perplexity is drawn lower: the point order by height follows the values.
      const values = sample.models.map((m) => m.sets[chart.set].perplexity);
      const byHeight = chart.points.map((_, i) => i).sort((a, b) => chart.points[a].y - chart.points[b].y);
      const byValue = values.map((_, i) => i).sort((a, b) => values[b] - values[a]);
      expect(byHeight).toEqual(byValue);
    }

    // The pixels: both series colours are on the screenshot (points, lines, legend).
    const strokes = geometry.map((g) => g.stroke);
    expect(new Set(strokes).size).toBe(2);
    const png = await page.screenshot({ fullPage: true });
    if (process.env.REPORT_SCREENSHOT) fs.writeFileSync(process.env.REPORT_SCREENSHOT, png);
    const { width, height, counts } = await countColours(png, strokes);
    expect(width).toBe(1280);
    expect(height).toBeGreaterThan(900);
    for (const count of counts) expect(count).toBeGreaterThan(200);

    // Nothing but the page itself was requested, and nothing went wrong.
    expect(blocked).toEqual([]);
    expect(requests).toEqual([pageUrl]);
    expect(errors).toEqual([]);
  } finally {
    await context.close();
  }
});

test('hostile strings stay text, even with JavaScript on', async () => {
  const hostile = `<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>"'&`;
  const report = JSON.parse(fs.readFileSync(SAMPLE, 'utf8'));
  report.run = hostile;
  report.models[1].name = `step_2500${hostile}`;
  report.evalPaths.domain = `/fsx/${hostile}`;
  const source = path.join(dir, 'hostile.json');
  fs.writeFileSync(source, JSON.stringify(report));
  const url = pathToFileURL(renderReport(source, path.join(dir, 'hostile.html'))).href;

  const context = await browser.newContext({ javaScriptEnabled: true });
  try {
    const { page, requests, blocked, errors } = await watchedPage(context, url);
    await page.goto(url, { waitUntil: 'load' });
    expect(await page.locator('h1').textContent()).toBe(`Perplexity report: ${hostile}`);
    expect(await page.locator('img, script, iframe').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as any).pwned)).toBeUndefined();
    expect(await page.locator('tr.model-row').nth(1).getAttribute('data-model')).toBe(`step_2500${hostile}`);
    expect(blocked).toEqual([]);
    expect(requests).toEqual([url]);
    expect(errors).toEqual([]);
  } finally {
    await context.close();
  }
});
