// Browser checks of the built book, in Debian's chromium via playwright-core.
//
//   node browser_check.mjs --html ../build/html --quizzes quizzes.json [--search WORD]
//                          [--pages a.html,dir/b.html] [--timeout MS]
//
// Serves the built book on a free localhost port and opens every page in
// the light and the dark theme. On each: every Mermaid diagram became an
// SVG and none shows Mermaid's error; nothing went to the console as an
// error or warning (highlight.js warns about unknown languages) and no
// request failed; cpp, python and typescript blocks are highlighted. On the
// pages with quizzes it answers each question wrong, then right, against
// the answer key from `check_sources.py --dump-quizzes`. Last, the search
// box opens and finds a word. Prints one line per problem; exits 1 if any.
import { chromium } from 'playwright-core';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize, relative, resolve, sep } from 'node:path';

// Launch flags that work on this kind of machine (see docs/MACHINE.md).
const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const THEMES = [
  { scheme: 'light', expectClass: 'light' }, // default-theme
  { scheme: 'dark', expectClass: 'navy' }, // preferred-dark-theme
];
const HIGHLIGHTED = ['cpp', 'python', 'typescript'];
// Pages mdBook makes that are not chapters.
const SKIPPED_PAGES = new Set(['print.html', 'toc.html', '404.html']);

function parseArgs(argv) {
  const args = { html: null, quizzes: null, search: 'election', timeout: 15000, pages: '' };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, '');
    if (!(name in args)) throw new Error(`unknown option ${argv[i]}`);
    args[name] = argv[++i];
  }
  if (!args.html || !args.quizzes) throw new Error('usage: browser_check.mjs --html DIR --quizzes FILE');
  return args;
}

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.woff2': 'font/woff2', '.woff': 'font/woff', '.ttf': 'font/ttf', '.txt': 'text/plain',
};

// A minimal static file server for the built book, on 127.0.0.1 and a free port.
function serve(root) {
  const server = createServer((request, response) => {
    let path = decodeURIComponent(new URL(request.url, 'http://x').pathname);
    path = normalize(join(root, path));
    if (!path.startsWith(root)) {
      response.writeHead(403).end();
      return;
    }
    if (existsSync(path) && statSync(path).isDirectory()) path = join(path, 'index.html');
    if (!existsSync(path)) {
      response.writeHead(404).end('not found');
      return;
    }
    response.writeHead(200, { 'Content-Type': TYPES[extname(path)] || 'application/octet-stream' });
    response.end(readFileSync(path));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function htmlPages(root) {
  const pages = [];
  (function walk(dir) {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.html')) pages.push(relative(root, path).split(sep).join('/'));
    }
  })(root);
  return pages.filter((page) => !SKIPPED_PAGES.has(page));
}

const problems = [];
function problem(where, text) {
  problems.push(`${where}: ${text}`);
  console.log(`FAIL ${where}: ${text}`);
}

// Opens `url` in a new page with the colour scheme; collects console trouble.
// A load that Chromium aborted with ERR_NETWORK_CHANGED (see checkPage) is
// tried again in a fresh page.
async function open(context, url, scheme, timeout) {
  for (let attempt = 1; ; attempt++) {
    const page = await context.newPage();
    const trouble = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') {
        trouble.push(`console ${message.type()}: ${message.text()}`);
      }
    });
    page.on('pageerror', (error) => trouble.push(`uncaught exception: ${error.message}`));
    page.on('requestfailed', (request) =>
      trouble.push(`request failed: ${request.url()} (${request.failure()?.errorText})`));
    page.on('response', (response) => {
      if (response.status() >= 400) trouble.push(`HTTP ${response.status()} for ${response.url()}`);
    });
    await page.emulateMedia({ colorScheme: scheme });
    let loadError = null;
    await page.goto(url, { waitUntil: 'load', timeout }).catch((error) => { loadError = error; });
    const flaky = String(loadError || '').includes('ERR_NETWORK_CHANGED') ||
      trouble.some((text) => text.includes('ERR_NETWORK_CHANGED'));
    if (flaky && attempt < 3) {
      await page.close();
      continue;
    }
    if (loadError) {
      await page.close();
      throw loadError;
    }
    return { page, trouble };
  }
}

// Chromium aborts loads with ERR_NETWORK_CHANGED when a network interface
// comes or goes (a Docker network being made, say): not the book's fault,
// so such a page is loaded once more.
async function checkPage(context, base, pageName, theme, timeout) {
  for (let attempt = 1; ; attempt++) {
    const found = await checkPageOnce(context, base, pageName, theme, timeout);
    const flaky = found.some((text) => text.includes('ERR_NETWORK_CHANGED'));
    if (!flaky || attempt === 3) {
      for (const text of found) problem(`${pageName} [${theme.scheme}]`, text);
      return;
    }
  }
}

async function checkPageOnce(context, base, pageName, theme, timeout) {
  const found = [];
  const problem = (where, text) => found.push(text);
  const where = `${pageName} [${theme.scheme}]`;
  const { page, trouble } = await open(context, base + pageName, theme.scheme, timeout);
  try {
    const themeClass = await page.evaluate(() => document.documentElement.className);
    if (!themeClass.split(/\s+/).includes(theme.expectClass)) {
      problem(where, `expected theme class '${theme.expectClass}' on <html>, got '${themeClass}'`);
    }
    // Mermaid renders asynchronously: wait until every diagram has an SVG.
    const diagrams = await page.locator('pre.mermaid').count();
    if (diagrams > 0) {
      try {
        await page.waitForFunction(
          () => [...document.querySelectorAll('pre.mermaid')].every((d) => d.querySelector('svg')),
          null, { timeout });
      } catch {
        const missing = await page.evaluate(
          () => [...document.querySelectorAll('pre.mermaid')].filter((d) => !d.querySelector('svg')).length);
        problem(where, `${missing} of ${diagrams} mermaid diagrams did not render to an SVG`);
      }
      const errors = await page.evaluate(() => {
        // Mermaid draws a failed diagram as an SVG with an error icon and
        // "Syntax error in text", in the block or in a stray element.
        const found = [];
        const nodes = [...document.querySelectorAll('pre.mermaid, body > [id^="dmermaid"]')];
        nodes.forEach((node, index) => {
          const error = node.querySelector('.error-text, .error-icon');
          // A label Mermaid's Markdown cannot draw ("1. Decide" reads as a
          // list) renders as "Unsupported markdown: list" with no error.
          const unsupported = /Unsupported markdown: [a-z]+/.exec(node.textContent);
          if (unsupported) {
            found.push(`diagram ${index + 1}: a label shows "${unsupported[0]}"`);
          } else if (error || /Syntax error in (text|graph)/.test(node.textContent)) {
            const text = node.querySelector('.error-text');
            found.push(`diagram ${index + 1}: ${text ? text.textContent.trim() : 'error'}`);
          }
        });
        return found;
      });
      for (const error of errors) problem(where, `mermaid shows an error: ${error}`);
    }
    // Unrendered ```mermaid blocks (the preprocessor did not run).
    if (await page.locator('code.language-mermaid').count()) {
      problem(where, 'a mermaid block was left as code (is the mermaid preprocessor configured?)');
    }
    const unhighlighted = await page.evaluate((languages) => {
      const bad = [];
      for (const language of languages) {
        document.querySelectorAll(`code.language-${language}`).forEach((code) => {
          if (!code.querySelector('span[class^="hljs-"]')) bad.push(`${language}: ${code.textContent.trim().slice(0, 60)}`);
        });
      }
      return bad;
    }, HIGHLIGHTED);
    for (const block of unhighlighted) problem(where, `code block not highlighted (${block})`);
    if (await page.locator('code.language-quiz').count()) {
      problem(where, 'a quiz block was not turned into a quiz (quiz.js missing or the quiz is malformed)');
    }
    await page.waitForTimeout(50); // let late console messages arrive
    for (const text of trouble) problem(where, text);
  } finally {
    await page.close();
  }
  return found;
}

const stripTicks = (text) => text.replace(/`/g, '');

// Answers every question of a page wrong, then right, and checks the feedback.
async function checkQuizzes(context, base, pageName, questions, timeout) {
  const where = `${pageName} [quiz]`;
  const { page, trouble } = await open(context, base + pageName, 'light', timeout);
  try {
    const boxes = page.locator('.quiz .quiz-question');
    const count = await boxes.count();
    if (count !== questions.length) {
      problem(where, `${count} questions rendered, the source has ${questions.length}`);
      return;
    }
    for (let i = 0; i < count; i++) {
      const box = boxes.nth(i);
      const question = questions[i];
      const label = `${where} question ${i + 1}`;
      const feedback = box.locator('.quiz-feedback');
      const expectFeedback = async (result, attempt) => {
        const got = await feedback.getAttribute('data-result');
        const explanation = (await box.locator('.quiz-explanation').textContent().catch(() => null)) || '';
        if (got !== result) problem(label, `${attempt}: expected '${result}' feedback, got '${got}'`);
        if (explanation.trim() !== stripTicks(question.explanation)) {
          problem(label, `${attempt}: explanation shown is '${explanation.trim()}'`);
        }
      };
      if (question.kind === 'choice') {
        const inputs = box.locator('.quiz-option input');
        const correct = question.options.map((o) => o.correct);
        // Wrong: tick the first wrong option, or only some of the right ones.
        const wrongPick = correct.includes(false)
          ? [correct.indexOf(false)]
          : [];
        for (const index of wrongPick) await inputs.nth(index).check();
        // Keyboard: focus the button and press Enter.
        await box.locator('.quiz-check').focus();
        await page.keyboard.press('Enter');
        await expectFeedback('wrong', 'wrong answer');
        for (let o = 0; o < correct.length; o++) {
          if (correct[o]) await inputs.nth(o).check();
          else if ((await inputs.nth(o).getAttribute('type')) === 'checkbox') await inputs.nth(o).uncheck();
        }
        await box.locator('.quiz-check').click();
        await expectFeedback('right', 'right answer');
      } else {
        const input = box.locator('input.quiz-answer');
        await input.fill('surely not the answer 42x');
        await input.press('Enter');
        await expectFeedback('wrong', 'wrong answer');
        // Accepted answers ignore case and extra spaces.
        await input.fill(`  ${question.answers[0].toUpperCase().split(' ').join('   ')} `);
        await box.locator('.quiz-check').click();
        await expectFeedback('right', 'right answer');
      }
    }
    for (const text of trouble) problem(where, text);
  } finally {
    await page.close();
  }
}

async function checkSearch(context, base, word, timeout) {
  const where = `index.html [search '${word}']`;
  const { page, trouble } = await open(context, base + 'index.html', 'light', timeout);
  try {
    await page.locator('#mdbook-search-toggle').click();
    const box = page.locator('#mdbook-searchbar');
    await box.waitFor({ state: 'visible', timeout });
    // mdBook's searcher listens for key presses, so type the word.
    await box.pressSequentially(word);
    try {
      await page.locator('#mdbook-searchresults li').first().waitFor({ state: 'visible', timeout });
    } catch {
      problem(where, 'the search found nothing');
    }
    for (const text of trouble) problem(where, text);
  } finally {
    await page.close();
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const root = resolve(args.html);
  const quizzes = JSON.parse(readFileSync(args.quizzes, 'utf8'));
  const timeout = Number(args.timeout);
  const server = await serve(root);
  const base = `http://127.0.0.1:${server.address().port}/`;
  const userDataDir = mkdtempSync(join(tmpdir(), 'dsc-book-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_FLAGS, timeout: 60000,
    });
    // A step that throws (a timeout, say) is one problem; the others still run.
    const guarded = (where, step) => step.catch((error) => problem(where, error.message.split('\n')[0]));
    // --pages a.html,b.html: only those (while debugging a chapter).
    const only = args.pages ? new Set(args.pages.split(',')) : null;
    const pages = htmlPages(root).filter((p) => !only || only.has(p));
    for (const pageName of pages) {
      for (const theme of THEMES) {
        await guarded(`${pageName} [${theme.scheme}]`, checkPage(context, base, pageName, theme, timeout));
      }
    }
    const quizPages = Object.keys(quizzes).filter((p) => !only || only.has(p));
    if (quizPages.length === 0) problem('book', 'no page has a quiz to try');
    for (const kind of ['choice', 'short']) {
      if (!quizPages.some((p) => quizzes[p].some((q) => q.kind === kind))) {
        problem('book', `no ${kind === 'choice' ? 'multiple-choice' : 'short-answer'} question to try`);
      }
    }
    for (const pageName of quizPages) {
      await guarded(`${pageName} [quiz]`, checkQuizzes(context, base, pageName, quizzes[pageName], timeout));
    }
    await guarded('index.html [search]', checkSearch(context, base, args.search, timeout));
    const questions = quizPages.reduce((n, p) => n + quizzes[p].length, 0);
    console.log(`browser_check: ${pages.length} pages x ${THEMES.length} themes, ` +
                `${questions} quiz questions on ${quizPages.length} pages, ${problems.length} problems`);
  } finally {
    if (context) await context.close();
    server.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
  process.exit(problems.length ? 1 : 0);
}

main().catch((error) => {
  console.error(`browser_check: ${error.stack || error}`);
  process.exit(2);
});
