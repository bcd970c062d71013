#!/usr/bin/env node
import { runCompiled } from './compiled.js';

await runCompiled('tools/logtool/main.js');
