#!/usr/bin/env node
import { main, processIo } from '../cli/main.js';

process.exitCode = main(process.argv.slice(2), processIo);
