#!/usr/bin/env node
// Copies the shared SES corpus into test/fixtures/, replacing the real third-party email
// addresses and AWS account IDs that some public captures carry with documentation values.
// Usage: node scripts/import-corpus.mjs ../shared/ses-corpus
import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const source = process.argv[2];
if (!source) {
  console.error('usage: node scripts/import-corpus.mjs <path to ses-corpus>');
  process.exit(2);
}
const target = new URL('../test/fixtures/', import.meta.url).pathname;

/** AWS documentation account IDs stay; every other 12-digit account ID in an ARN or field becomes one. */
const DOC_ACCOUNT = '123456789012';
const KEEP_ACCOUNTS = new Set([DOC_ACCOUNT, '111122223333', '123456789000', '888888888888']);
const REAL_ADDRESSES = new Map([
  ['jesus.islasf@alumno.buap.mx', 'student@example.edu'],
  ['relay@unfck.email', 'relay@example.net'],
  ['replies@unfck.email', 'replies@example.net'],
  ['seshub@amazon.com', 'seshub@example.com'],
  ['jeff@amazon.com', 'jeff@example.com'],
  ['sman@accordinterests.com', 'sman@example.org'],
  ['hello@carbonmade.com', 'hello@example.org'],
  ['relayuser@test.com', 'relayuser@example.net'],
  ['sender@test.com', 'sender@example.net'],
]);

function sanitize(text) {
  let out = text;
  for (const [real, doc] of REAL_ADDRESSES) out = out.split(real).join(doc);
  out = out.replace(/(arn:aws:[a-z0-9-]+:[a-z0-9-]*:)(\d{12})/g, (m, head, id) =>
    KEEP_ACCOUNTS.has(id) ? m : head + DOC_ACCOUNT,
  );
  out = out.replace(/("sendingAccountId\\*"\s*:\s*\\*")(\d{12})/g, (m, head, id) =>
    KEEP_ACCOUNTS.has(id) ? m : head + DOC_ACCOUNT,
  );
  return out;
}

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'certs') walk(path);
      continue;
    }
    const rel = relative(source, path);
    const dest = join(target, rel);
    cpSync(path, dest);
    if (name.endsWith('.json') || name.endsWith('.md')) {
      writeFileSync(dest, sanitize(readFileSync(path, 'utf8')));
    }
  }
}
walk(source);
console.log(`copied ${source} -> ${target}`);
