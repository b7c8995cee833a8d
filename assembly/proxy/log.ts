// Logging through the host (Envoy: the "wasm" log component, with the
// plugin's root_id and vm_id prefixed). Use log.enabled() to skip building
// costly messages the host would drop.
import { LogLevel } from "./types";
import * as host from "./hostcalls";

export namespace log {
  export function at(level: LogLevel, message: string): void {
    host.log(level, message);
  }
  export function enabled(level: LogLevel): bool {
    return level >= host.getLogLevel();
  }
  export function trace(message: string): void {
    host.log(LogLevel.Trace, message);
  }
  export function debug(message: string): void {
    host.log(LogLevel.Debug, message);
  }
  export function info(message: string): void {
    host.log(LogLevel.Info, message);
  }
  export function warn(message: string): void {
    host.log(LogLevel.Warn, message);
  }
  export function error(message: string): void {
    host.log(LogLevel.Error, message);
  }
  export function critical(message: string): void {
    host.log(LogLevel.Critical, message);
  }
}
