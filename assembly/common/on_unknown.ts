// What a network filter does with bytes that are not frames of its protocol
// it can follow: the `onUnknown` field of its configuration, "pass" (the
// default: forward them untouched) or "close" (close the connection).
import { ConfigReader } from "./config";

export enum OnUnknown {
  Pass = 0,
  Close = 1,
}

export function readOnUnknown(c: ConfigReader): OnUnknown {
  return <OnUnknown>c.choice("onUnknown", ["pass", "close"], OnUnknown.Pass);
}
