#!/usr/bin/env node
import { runCompiled } from './compiled.js';

await runCompiled('src/main.js');
