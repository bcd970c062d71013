// How tests start logd, logtool and logtail: the .ts sources through tsx, so an edit needs no
// build. Spread into spawn's arguments: spawn(process.execPath, [...LOGD, '--id', 'a']).
// (test/package/ runs the compiled bin/ scripts instead.)
import { fileURLToPath } from 'node:url';

const source = (path: string) => ['--import', 'tsx', fileURLToPath(new URL(`../${path}`, import.meta.url))];

export const LOGD = source('src/main.ts');
export const LOGTOOL = source('tools/logtool/main.ts');
export const LOGTAIL = source('tools/logtail/main.ts');
