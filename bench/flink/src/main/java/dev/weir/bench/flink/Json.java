// JSON text as JavaScript's JSON.stringify writes it, for the values the
// Nexmark events and result rows hold: whole numbers, doubles and strings.
package dev.weir.bench.flink;

final class Json {
  private Json() {}

  /** Appends `"key":` (a comma first unless the object was just opened). */
  static StringBuilder key(StringBuilder out, String key) {
    if (out.charAt(out.length() - 1) != '{') out.append(',');
    return string(out, key).append(':');
  }

  static StringBuilder field(StringBuilder out, String key, long value) {
    return key(out, key).append(value);
  }

  static StringBuilder field(StringBuilder out, String key, String value) {
    return string(key(out, key), value);
  }

  /** A double as Number.prototype.toString: integers without a fraction, otherwise the shortest round-trip digits. */
  static StringBuilder field(StringBuilder out, String key, double value) {
    return number(key(out, key), value);
  }

  static StringBuilder number(StringBuilder out, double value) {
    if (Double.isNaN(value) || Double.isInfinite(value)) return out.append("null");
    if (value == Math.rint(value) && Math.abs(value) < 1e21) return out.append((long) value);
    // Java's shortest digits (JDK 19+) or Double.toString (JDK 17: usually the same); re-formatted as JavaScript does.
    java.math.BigDecimal d = new java.math.BigDecimal(Double.toString(value)).stripTrailingZeros();
    String digits = d.unscaledValue().abs().toString();
    int exponent = digits.length() - d.scale(); // value = 0.digits x 10^exponent
    if (value < 0) out.append('-');
    if (exponent >= -5 && exponent <= 21) {
      if (exponent <= 0) return out.append("0.").append("0".repeat(-exponent)).append(digits);
      if (exponent >= digits.length()) return out.append(digits).append("0".repeat(exponent - digits.length()));
      return out.append(digits, 0, exponent).append('.').append(digits, exponent, digits.length());
    }
    out.append(digits.charAt(0));
    if (digits.length() > 1) out.append('.').append(digits, 1, digits.length());
    return out.append('e').append(exponent - 1 >= 0 ? "+" : "-").append(Math.abs(exponent - 1));
  }

  /** A string with JSON.stringify's escapes. */
  static StringBuilder string(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          boolean loneSurrogate = Character.isSurrogate(c)
              && !(Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1)))
              && !(Character.isLowSurrogate(c) && i > 0 && Character.isHighSurrogate(s.charAt(i - 1)));
          if (c < 0x20 || loneSurrogate) out.append(String.format("\\u%04x", (int) c));
          else out.append(c);
        }
      }
    }
    return out.append('"');
  }
}
