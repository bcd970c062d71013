// A command-line mistake (bad flag, bad value, missing argument): the tools print it with their
// usage and exit 2, unlike failures of the work itself.
export class UsageError extends Error {}
