// Real-browser checks of the HTML reviewer worksheet (run by tests/browser/run.sh).
//
//   node check.mjs PAGES_DIR OUT_DIR
//
// PAGES_DIR holds seed-001.html, inject-001.html and index.html as `precert review --format html` wrote
// them. Drives Debian's Chromium (CHROMIUM, default /usr/bin/chromium) through playwright-core; never
// downloads a browser. Checks, on each page: it loads from disk with no console error, page error or
// request outside the page itself (a CSP violation is a console error). On the seed worksheet: activating
// an evidence link (click, and keyboard Enter) scrolls its span into view and marks it; the same works with
// JavaScript off (:target); hovering a mention shows its concept, assertion and cue; the print stylesheet
// puts the reviewer section on its own page. On the injection fixture: nothing injected runs or becomes an
// element. On the index: sorting works and every link names a worksheet that exists. Writes
// OUT_DIR/seed-001.png (full page), seed-001-top.png (its first 1700 px), seed-001-evidence.png (after
// following a link to the notes) and seed-001.pdf (printed).

import { chromium } from 'playwright-core';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [pagesDir, outDir] = process.argv.slice(2).map((p) => resolve(p));
if (!pagesDir || !outDir) {
  console.error('usage: node check.mjs PAGES_DIR OUT_DIR');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });

let failures = 0;
function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures += 1;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});

/** Opens `file` in a fresh context; returns the page and the problems it reports. */
async function open(file, { javaScriptEnabled = true, hash = '' } = {}) {
  const context = await browser.newContext({
    javaScriptEnabled,
    viewport: { width: 1280, height: 900 },
  });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) problems.push(`request: ${r.url()}`);
  });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  await page.goto(pathToFileURL(join(pagesDir, file)).href + hash, { waitUntil: 'load' });
  return { page, context, problems };
}

/** True when the element's box lies within the viewport. */
async function inViewport(page, selector) {
  return page.$eval(selector, (el) => {
    const r = el.getBoundingClientRect();
    return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;
  });
}

// ---- Seed worksheet --------------------------------------------------------------------------------
{
  const { page, context, problems } = await open('seed-001.html');
  await page.waitForTimeout(200);
  check(problems.length === 0, `seed-001.html loads with no console error or request ${JSON.stringify(problems)}`);
  await page.screenshot({ path: join(outDir, 'seed-001.png'), fullPage: true });
  await page.screenshot({ path: join(outDir, 'seed-001-top.png'), fullPage: true, clip: { x: 0, y: 0, width: 1280, height: 1700 } });

  const links = await page.$$eval('a[href^="#ev-"]', (as) => as.map((a) => a.getAttribute('href')));
  check(links.length >= 15, `seed has evidence links (${links.length})`);

  // Click the last link (its span is far below): it scrolls to and marks its span.
  const clickHref = links[links.length - 1];
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.click(`a[href="${clickHref}"] >> nth=0`);
  await page.waitForTimeout(300);
  const id = clickHref.slice(1);
  const sel = `[id="${id}"]`;
  check((await page.evaluate(() => location.hash)) === clickHref, `click: location is ${clickHref}`);
  check(await inViewport(page, sel), `click: ${clickHref} span is scrolled into view`);
  check(await page.$eval(sel, (el) => el.matches(':target') && el.classList.contains('active')), 'click: span is :target and marked active');
  check(await page.$eval(sel, (el) => getComputedStyle(el).outlineStyle === 'solid'), 'click: span is visibly outlined');
  check(await page.evaluate((i) => document.activeElement && document.activeElement.id === i, id), 'click: focus moves to the span');
  const quote = await page.$eval(`a[href="${clickHref}"]`, (a) => a.textContent.replace(/[\u201c\u201d]/g, ''));
  const spanText = await page.$eval(sel, (el) => el.textContent.split(/\s+/).join(' ').trim());
  check(quote === spanText, `click: the span's text is the quote (${JSON.stringify(quote)})`);
  await page.screenshot({ path: join(outDir, 'seed-001-evidence.png') });

  // Keyboard: focus another link and press Enter.
  const keyHref = links.find((h) => h !== clickHref);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.focus(`a[href="${keyHref}"] >> nth=0`);
  await page.keyboard.press('Enter');
  await page.waitForTimeout(300);
  const kid = keyHref.slice(1);
  check(await inViewport(page, `[id="${kid}"]`), `keyboard: ${keyHref} span is scrolled into view`);
  check(await page.$eval(`[id="${kid}"]`, (el) => el.classList.contains('active') && el.matches(':target')), 'keyboard: span is marked');
  check(await page.$$eval('.ev.active', (els) => els.length) === 1, 'only one span is marked at a time');

  // Hover a negated mention: the tooltip names concept, assertion and cue.
  const fevers = page.locator('mark[data-m]', { hasText: /^fevers$/ }).first();
  await fevers.hover();
  const tip = await fevers.evaluate((el) => getComputedStyle(el, '::after').content);
  check(/assertion: negated/.test(tip) && /cue:/.test(tip), `hover shows the mention's assertion and cue (${tip.slice(0, 80)}…)`);
  // Focus (keyboard) shows it too.
  await page.mouse.move(0, 0);
  await fevers.focus();
  const tip2 = await fevers.evaluate((el) => getComputedStyle(el, '::after').display);
  check(tip2 !== 'none', 'focus shows the tooltip');

  // Print: the reviewer section starts a page, highlights print as borders without tooltips.
  await page.emulateMedia({ media: 'print' });
  check(await page.$eval('#reviewer', (el) => getComputedStyle(el).breakBefore === 'page'), 'print: reviewer section on its own page');
  check(
    await page.$eval('mark[data-m]', (el) => {
      const s = getComputedStyle(el);
      return s.backgroundColor === 'rgba(0, 0, 0, 0)' && parseFloat(s.borderBottomWidth) >= 1;
    }),
    'print: highlights are borders, not backgrounds',
  );
  check(await page.$eval('nav.toc', (el) => getComputedStyle(el).display === 'none'), 'print: navigation hidden');
  await page.pdf({ path: join(outDir, 'seed-001.pdf'), format: 'Letter', printBackground: true });
  check(problems.length === 0, `seed-001.html: no errors after interaction ${JSON.stringify(problems)}`);
  await context.close();
}

// ---- Seed worksheet with JavaScript off: anchors and :target alone --------------------------------------
{
  const { page, context, problems } = await open('seed-001.html', { javaScriptEnabled: false });
  const href = await page.$eval('a[href^="#ev-"]', (a) => a.getAttribute('href'));
  await page.click(`a[href="${href}"] >> nth=0`);
  await page.waitForTimeout(300);
  const sel = `[id="${href.slice(1)}"]`;
  check(await inViewport(page, sel), `no JS: ${href} span is scrolled into view`);
  check(
    await page.$eval(sel, (el) => el.matches(':target') && getComputedStyle(el).outlineStyle === 'solid'),
    'no JS: span is marked by :target',
  );
  check(problems.length === 0, `no JS: no errors ${JSON.stringify(problems)}`);
  await context.close();
}

// ---- Injection fixture: everything stays text ----------------------------------------------------------
{
  const { page, context, problems } = await open('inject-001.html');
  await page.waitForTimeout(300);
  // Hover and click around so that any injected handler would have a chance to fire.
  for (const m of await page.$$('pre.note-text mark')) await m.hover();
  const pwned = await page.evaluate(() => typeof window.__pwned);
  check(pwned === 'undefined', `injection: window.__pwned is ${pwned}`);
  const injected = await page.$$eval('img, iframe, b, i, object, embed, link', (els) => els.map((e) => e.tagName));
  check(injected.length === 0, `injection: no injected elements ${JSON.stringify(injected)}`);
  check((await page.$$eval('script', (s) => s.length)) === 1, 'injection: only the page\'s own script');
  check((await page.$$eval('textarea', (t) => t.map((x) => x.value))).join('|') === '', 'injection: one empty textarea');
  const noteText = await page.$eval('pre.note-text', (p) => p.textContent);
  check(noteText.includes('<script>window.__pwned=1</script>') && noteText.includes('</textarea>'), 'injection: the markup shows as text');
  check(problems.length === 0, `injection: no console error or request ${JSON.stringify(problems)}`);
  await context.close();
}

// ---- Index -----------------------------------------------------------------------------------------------
{
  const { page, context, problems } = await open('index.html');
  const hrefs = await page.$$eval('#cases tbody a', (as) => as.map((a) => a.getAttribute('href')));
  check(hrefs.length >= 2 && hrefs.every((h) => existsSync(join(pagesDir, h))), `index: every link names a worksheet (${hrefs})`);
  const before = await page.$$eval('#cases tbody tr', (rs) => rs.map((r) => r.dataset.case + r.dataset.cpt));
  const btn = page.locator('#cases thead button', { hasText: 'Case' });
  await btn.click();
  await btn.click();
  const sorted = await page.$$eval('#cases tbody tr', (rs) => rs.map((r) => r.dataset.case + r.dataset.cpt));
  const sort = await page.$eval('#cases thead th:first-child', (th) => th.getAttribute('aria-sort'));
  check(sort === 'descending' && sorted.length === before.length && sorted[0].startsWith('seed-001'), `index: sorting by case (${sort}: ${sorted})`);
  check(problems.length === 0, `index: no errors ${JSON.stringify(problems)}`);
  await context.close();
}

await browser.close();
console.log(failures === 0 ? 'browser checks: all passed' : `browser checks: ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
