/**
 * Junction's public API: start a proxy from a config, and the types plugin and strategy authors use.
 * Everything else in src/ is internal and may change between minor versions.
 */
export {
  startJunction,
  type BoundListener,
  type ClusterStatus,
  type UpstreamEvents,
  type JunctionServer,
  type StartOptions,
  type UpstreamStatus,
  type CertificateInfo,
  type CertificateInput,
  type ReloadResult,
  type ServerStatus,
  type RuntimeStats,
  type CloseOptions,
  type ConfigDiff,
  type EntryDiff,
  type ServerObservation,
  type ListenerObservation,
  type ClusterObservation,
  type BackendObservation,
  type PoolObservation,
} from './server/index.ts';
export { JunctionMetrics, type JunctionMetricsOptions, type MetricsSource } from './metrics/index.ts';
export {
  parseConfigText,
  loadConfigFile,
  loadConfigText,
  configJsonSchema,
  type ParseConfigOptions,
  type JsonSchema,
} from './config/index.ts';
export type { JunctionConfig } from './config/types.ts';
export {
  ConfigError,
  ConfigErrors,
  ConnectError,
  ConnectionError,
  HttpParseError,
  JunctionError,
  ReloadError,
  RouteError,
  TlsCertificateError,
  UpstreamError,
  ERROR_CODES,
  type ErrorCode,
} from './errors/index.ts';
export { defineStrategy } from './strategies/index.ts';
export type {
  Outcome,
  SelectionInput,
  Strategy,
  StrategyEnv,
  StrategyPlugin,
  Upstream,
} from './strategies/index.ts';
export type { UpstreamConnectionInfo } from './connector/index.ts';
export { definePlugin } from './plugins/index.ts';
export type {
  HookOptions,
  LoadedConfigInfo,
  PluginApi,
  PluginDefinition,
  SessionInfo,
  UpstreamSessionInfo,
} from './plugins/index.ts';
export { TXN_HOOKS } from './hooks/index.ts';
export type {
  HeaderFields,
  LocalResponse,
  RequestView,
  ResponseView,
  TxnContext,
  TxnHook,
  TxnHookName,
  TxnTimeouts,
  TxnUpstreamSettings,
  TxnSession,
  TxnCertificate,
  TxnClientCertificate,
  TunnelEndedBy,
  TunnelReport,
} from './hooks/index.ts';
export {
  compressResponse,
  replaceText,
  // The helpers the built-in transforms use, for transforms of your own (docs/transforms.md).
  appendVary,
  compileMediaTypes,
  forbidsTransform,
  hasContentCoding,
  headerValue,
  markContentRewritten,
  mediaTypeOf,
  removeFramingFields,
  removeHeader,
  responseHasRewritableBody,
  setHeader,
  weakenETag,
} from './transforms/index.ts';
export type {
  BodyTransform,
  CompressOptions,
  MediaTypeMatcher,
  MessageTransformFactory,
  Replacement,
  ReplaceTextOptions,
  RequestTransformFactory,
  ResponseTransformFactory,
} from './transforms/index.ts';
