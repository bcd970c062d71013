// logd's TypeScript client: the package's public entry.
export { connect, Client, type Payload } from './client.ts';
export { type ConnectOptions, type ReconnectOptions, DEFAULT_HOST, DEFAULT_PORT } from './connection.ts';
export { ConflictError, ConnectionError } from './reply-error.ts';
export { LogdError, ERROR_CODES, type ErrorCode } from '../../protocol/errors.ts';
export { NotReplicatedError, type AppendOptions, type ConsumerInfo, type LogRecord, type LogInfo, type ReadOptions, type ReplicaOptions } from './types.ts';
export type { ReadStream } from './read-stream.ts';
export type { FollowOptions } from './follow.ts';
export type { BackoffOptions } from '../wire/backoff.ts';
export type { Subscription, SubscriptionEvents } from './subscription.ts';
export type { Consumer, ConsumerOptions } from './consumer.ts';
export type { Materialized, Reducer } from './materialize.ts';
