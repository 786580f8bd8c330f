#!/usr/bin/env node
import { main, processIo } from '../cli/main.js';

void main(process.argv.slice(2), processIo).then((code) => {
  process.exitCode = code;
});
