// placeholder replaced by the SDK work: logs through proxy_log then traps
export function onAbort(message: string | null, fileName: string | null, lineNumber: u32, columnNumber: u32): void {
  unreachable();
}
