// (8) logd-only workloads: replication catch-up and restart/recovery time of a large log.
import type { Workload } from './workloads.ts';

export const LOGD_ONLY_WORKLOADS: Workload[] = [];
