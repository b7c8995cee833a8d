// Correctly rounded decimal -> f64, for JSON numbers.
//
// AssemblyScript 0.28's parseFloat is wrong for about 1.5% of doubles with
// large exponents (measured against V8), sometimes by orders of magnitude
// ("9.791219076714581e+44" reads as 9.79e37), so a body we parse and
// re-serialize would silently change numbers. Instead: a float guess within a
// few ulps (19 digits scaled by exact powers of ten), corrected by exact
// big-integer comparisons against the midpoints to its neighbours (the
// refinement step of Clinger's AlgorithmR). Exact small cases (Clinger's fast
// path) need no big integers.

// Enough digits to decide any rounding (the longest exact double needs 767);
// beyond, a sticky digit stands for the rest.
const MAX_DIGITS = 780;
const POW10: StaticArray<f64> = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

/** Parses s[start, end), which must match the JSON number grammar. */
export function parseJsonNumber(s: string, start: i32, end: i32): f64 {
  let i = start;
  const neg = s.charCodeAt(i) == 0x2d;
  if (neg) i++;
  // Collect significant digits (leading zeros dropped) and the decimal exponent.
  const digits = new Array<u8>();
  let exp10: i64 = 0;
  let sticky = false;
  let inFraction = false;
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x2e) {
      inFraction = true;
      continue;
    }
    if (c < 0x30 || c > 0x39) break;
    if (inFraction) exp10--;
    if (digits.length == 0 && c == 0x30) continue;
    if (digits.length < MAX_DIGITS) digits.push(<u8>(c - 0x30));
    else {
      exp10++; // a dropped digit still scales the kept ones
      if (c != 0x30) sticky = true;
    }
  }
  if (i < end) {
    // exponent part: [eE][+-]?digits, clamped far outside the f64 range
    i++;
    let eneg = false;
    const sign = s.charCodeAt(i);
    if (sign == 0x2b || sign == 0x2d) {
      eneg = sign == 0x2d;
      i++;
    }
    let e: i64 = 0;
    for (; i < end; i++) {
      if (e < 1000000) e = e * 10 + (s.charCodeAt(i) - 0x30);
    }
    exp10 += eneg ? -e : e;
  }
  if (sticky) {
    digits.push(1);
    exp10--;
  }
  // Trailing zeros carry no information and make the fast path miss.
  while (digits.length > 0 && digits[digits.length - 1] == 0) {
    digits.pop();
    exp10++;
  }
  const n = digits.length;
  let r: f64 = 0;
  if (n == 0) r = 0;
  else if (exp10 + n > 310) r = Infinity;
  else if (exp10 + n < -325) r = 0;
  else if (n <= 15 && exp10 >= -22 && exp10 <= 22) {
    let m: f64 = 0;
    for (let k = 0; k < n; k++) m = m * 10 + <f64>unchecked(digits[k]);
    r = exp10 < 0 ? m / unchecked(POW10[<i32>-exp10]) : m * unchecked(POW10[<i32>exp10]);
  } else {
    r = refine(digits, <i32>exp10, guess(digits, <i32>exp10));
  }
  return neg ? -r : r;
}

// Within a few ulps: each scaling by an exact 1e22 rounds once, and at most
// ~16 of them are needed in the f64 range.
function guess(digits: Array<u8>, exp10: i32): f64 {
  const n = min(digits.length, 19);
  let m: u64 = 0;
  for (let k = 0; k < n; k++) m = m * 10 + unchecked(digits[k]);
  let r = <f64>m;
  let e = exp10 + (digits.length - n);
  while (e > 22 && r < Infinity) {
    r *= 1e22;
    e -= 22;
  }
  while (e < -22 && r > 0) {
    r /= 1e22;
    e += 22;
  }
  return e >= 0 ? r * unchecked(POW10[e]) : r / unchecked(POW10[-e]);
}

// Walks the guess to the double nearest digits x 10^exp10 (ties to even).
function refine(digits: Array<u8>, exp10: i32, guess: f64): f64 {
  const d = new Big();
  for (let k = 0; k < digits.length; k++) d.mulAdd(10, unchecked(digits[k]));
  let bits = reinterpret<u64>(guess);
  if (bits > 0x7ff0000000000000) bits = 0x7ff0000000000000; // NaN cannot happen; be safe
  for (let step = 0; step < 4096; step++) {
    if (bits < 0x7ff0000000000000) {
      const c = compareToMidpoint(d, exp10, bits);
      if (c > 0 || (c == 0 && (bits & 1) == 1)) {
        bits++;
        continue;
      }
    }
    if (bits > 0) {
      const c = compareToMidpoint(d, exp10, bits - 1);
      if (c < 0 || (c == 0 && (bits & 1) == 1)) {
        bits--;
        continue;
      }
    }
    break;
  }
  return reinterpret<f64>(bits);
}

// Sign of (d x 10^exp10) - midpoint(double(lo), double(lo + 1)), exactly.
function compareToMidpoint(d: Big, exp10: i32, lo: u64): i32 {
  // A positive double (or +inf as 2^1024) is m x 2^e with integer m.
  let ma = lo & 0xfffffffffffff;
  let ea = <i32>(lo >> 52);
  if (ea == 0) ea = 1;
  else ma |= 0x10000000000000;
  ea -= 1075;
  const hi = lo + 1;
  let mb = hi & 0xfffffffffffff;
  let eb = <i32>(hi >> 52);
  if (eb == 0) eb = 1;
  else mb |= 0x10000000000000;
  eb -= 1075;
  // eb is ea or ea + 1 (crossing a binade), so the sum fits in u64.
  const mid = eb > ea ? ma + (mb << 1) : ma + mb; // midpoint = mid x 2^(ea - 1)
  const left = d.clone();
  const right = Big.of(mid);
  let lexp2 = exp10;
  let rexp2 = ea - 1;
  if (exp10 >= 0) left.mulPow5(exp10);
  else right.mulPow5(-exp10);
  if (lexp2 > rexp2) left.shl(lexp2 - rexp2);
  else right.shl(rexp2 - lexp2);
  return left.cmp(right);
}

// Minimal unsigned big integer: little-endian base-2^32 limbs.
class Big {
  limbs: Array<u32> = [];

  static of(v: u64): Big {
    const b = new Big();
    if (v) b.limbs.push(<u32>v);
    if (v >> 32) b.limbs.push(<u32>(v >> 32));
    return b;
  }

  clone(): Big {
    const b = new Big();
    b.limbs = this.limbs.slice(0);
    return b;
  }

  mulAdd(mul: u32, add: u32): void {
    let carry = <u64>add;
    const l = this.limbs;
    for (let i = 0; i < l.length; i++) {
      const v = <u64>unchecked(l[i]) * mul + carry;
      unchecked((l[i] = <u32>v));
      carry = v >> 32;
    }
    if (carry) l.push(<u32>carry);
  }

  mulPow5(n: i32): void {
    while (n >= 13) {
      this.mulAdd(1220703125, 0); // 5^13, the largest power of 5 in a u32
      n -= 13;
    }
    let p: u32 = 1;
    while (n-- > 0) p *= 5;
    if (p > 1) this.mulAdd(p, 0);
  }

  shl(n: i32): void {
    const l = this.limbs;
    if (l.length == 0 || n <= 0) return;
    const words = n >> 5;
    const bits = n & 31;
    if (bits) {
      let carry: u32 = 0;
      for (let i = 0; i < l.length; i++) {
        const v = unchecked(l[i]);
        unchecked((l[i] = (v << bits) | carry));
        carry = v >> (32 - bits);
      }
      if (carry) l.push(carry);
    }
    if (words) {
      const out = new Array<u32>(words + l.length);
      for (let i = 0; i < l.length; i++) unchecked((out[words + i] = l[i]));
      this.limbs = out;
    }
  }

  cmp(o: Big): i32 {
    const a = this.limbs;
    const b = o.limbs;
    if (a.length != b.length) return a.length > b.length ? 1 : -1;
    for (let i = a.length - 1; i >= 0; i--) {
      const x = unchecked(a[i]);
      const y = unchecked(b[i]);
      if (x != y) return x > y ? 1 : -1;
    }
    return 0;
  }
}
