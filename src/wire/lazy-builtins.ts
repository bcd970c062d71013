// Node built-ins that a plain node (no TLS, no AUTH token) never uses, loaded at their first use
// instead of at start: node:tls with node:crypto costs ~2 MB of RSS at rest, for nothing there. In
// src/wire, the bottom layer, so that the client, dial, the listener and the server share it.
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

export const nodeTls = (): typeof import('node:tls') => load('node:tls');
export const nodeCrypto = (): typeof import('node:crypto') => load('node:crypto');
export const nodeChildProcess = (): typeof import('node:child_process') => load('node:child_process');
