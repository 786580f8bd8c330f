import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The Chromium the render test drives: CHROMIUM_PATH, else Debian's /usr/bin/chromium, installed
 * on the spot by `scripts/setup-browser.sh` (the distribution's own package archive, nothing else)
 * when the machine has none. Says on the test's output what it found or did, so a fresh machine
 * needs no step beyond `npm ci` and `npm test`.
 *
 * @throws Error with the script's own one-line reason when no Chromium can be found or installed
 */
export function findOrInstallChromium(): string {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (existsSync(path)) return path;
  const started = Date.now();
  try {
    execFileSync('bash', [join(__dirname, '..', '..', 'scripts', 'setup-browser.sh')], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString('utf8').trim().split('\n').pop();
    throw new Error(`no Chromium at ${path}, and installing one failed: ${stderr || String(error)}`, { cause: error });
  }
  if (!existsSync(path)) throw new Error(`scripts/setup-browser.sh ran, but there is still no Chromium at ${path}`);
  console.log(`no Chromium was installed: installed Debian's chromium at ${path} in ${((Date.now() - started) / 1000).toFixed(0)} s (scripts/setup-browser.sh)`);
  return path;
}
