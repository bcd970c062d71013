// The server's event log: one line per notable event, to stderr.
export type Logger = (line: string) => void;

export const stderrLogger: Logger = (line) => {
  process.stderr.write(new Date().toISOString() + ' ' + line + '\n');
};
