// Test helper: the short count in `make test`, the long one in `make soak` (LOGD_SOAK=1).
export const SOAK = process.env.LOGD_SOAK === '1';

export function scale(short: number, long: number): number {
  return SOAK ? long : short;
}
