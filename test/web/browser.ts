import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { repoRoot } from '../helpers/holdout-server.js';

export const chromiumPath = '/usr/bin/chromium';
export const artifactsDir = path.join(repoRoot, 'test-artifacts', 'web');

/** Why the browser tests cannot run here, or undefined when they can. They install nothing. */
export function browserSkipReason(): string | undefined {
  return existsSync(chromiumPath) ? undefined : `${chromiumPath} is missing: install Debian's chromium package (scripts/setup.sh does)`;
}

/** Builds the web app when dist/web is missing, so the server has pages to serve. */
export function ensureWebBuilt(): void {
  if (existsSync(path.join(repoRoot, 'dist', 'web', 'index.html'))) return;
  execFileSync('npm', ['run', '--silent', 'build:web'], { cwd: repoRoot, stdio: 'inherit' });
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Problems seen: page errors, dialogs, CSP violations (an attempt to run injected code). */
  problems: string[];
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

/** Headless Debian chromium with a fresh profile; records anything that hints at injected script. */
export async function openBrowser(): Promise<Browser> {
  const profile = await mkdtemp(path.join(tmpdir(), 'holdout-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1200, height: 900 },
  });
  const problems: string[] = [];
  // A string, not a function: this file is type-checked without the DOM library.
  await context.addInitScript({
    content: "document.addEventListener('securitypolicyviolation', (e) => { (window.__violations ??= []).push(e.violatedDirective + ' ' + e.blockedURI); });",
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on('console', (m) => m.type() === 'error' && !/401|403|404|409|422|429/.test(m.text()) && problems.push(`console: ${m.text()}`));
  await mkdir(artifactsDir, { recursive: true });
  return {
    context,
    page,
    problems,
    screenshot: async (name) => {
      await page.screenshot({ path: path.join(artifactsDir, `${name}.png`), fullPage: true });
    },
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Whether any planted payload ran, and any CSP violations the page saw. */
export async function injectedEffects(page: Page): Promise<{ pwned: unknown; violations: string[] }> {
  return page.evaluate<{ pwned: unknown; violations: string[] }>('({ pwned: window.__pwned ?? null, violations: window.__violations ?? [] })');
}
