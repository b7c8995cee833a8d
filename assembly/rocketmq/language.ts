// LanguageCode of the remoting header. JSON headers carry the enum name
// ("JAVA"), binary ROCKETMQ headers its byte, so converting a command between
// the two serializations needs this table.

export const LANGUAGE_JAVA: u8 = 0;
// Not a LanguageCode byte: the JSON name was one this table does not know.
export const LANGUAGE_UNKNOWN: i32 = -1;

const NAMES: string[] = [
  "JAVA", "CPP", "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY",
  "OTHER", "HTTP", "GO", "PHP", "OMS", "RUST", "NODE_JS",
];

// Enum name for a byte; "" for a byte Java's LanguageCode.valueOf maps to null.
export function languageName(code: i32): string {
  return code >= 0 && code < NAMES.length ? unchecked(NAMES[code]) : "";
}

// Byte for an enum name, or LANGUAGE_UNKNOWN.
export function languageCode(name: string): i32 {
  for (let i = 0; i < NAMES.length; i++) if (unchecked(NAMES[i]) == name) return i;
  return LANGUAGE_UNKNOWN;
}
