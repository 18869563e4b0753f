// ISO 8601 durations, dates and cycles in words, for the timer and due-time fields.
const UNITS = [["Y", "year"], ["M", "month"], ["W", "week"], ["D", "day"]];
const TIME_UNITS = [["H", "hour"], ["M", "minute"], ["S", "second"]];
const DURATION = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(?:\.\d+)?S)?)?$/;

function plural(n, unit) { return n + " " + unit + (Number(n) === 1 ? "" : "s"); }

function parts(text, units) {
  const out = [];
  units.forEach(([letter, unit]) => {
    const m = text.match(new RegExp("(\\d+(?:\\.\\d+)?)" + letter));
    if (m) { out.push(plural(m[1], unit)); }
  });
  return out;
}

/** "P1DT4H" -> "1 day 4 hours"; "" when the text is not an ISO 8601 duration. */
export function durationInWords(iso) {
  const text = (iso || "").trim().toUpperCase();
  if (!DURATION.test(text)) { return ""; }
  const [date, time] = text.slice(1).split("T");
  return parts(date, UNITS).concat(parts(time || "", TIME_UNITS)).join(" ");
}

/** A timer expression (a quoted ISO value) in words, or "" when it is not a literal. */
export function timerInWords(expression, kind) {
  const m = (expression || "").trim().match(/^(["'])(.*)\1$/);
  if (!m) { return ""; }
  const value = m[2].trim();
  if (kind === "timeCycle") {
    const c = value.match(/^R(\d*)\/(?:([^/]+)\/)?(P[^/]+)$/);
    if (!c) { return ""; }
    const every = durationInWords(c[3]);
    if (!every) { return ""; }
    return (c[1] ? c[1] + " times, " : "repeatedly, ") + "every " + every + (c[2] ? " from " + c[2] : "");
  }
  if (kind === "timeDate") {
    return /^\d{4}-\d{2}-\d{2}/.test(value) ? "on " + value.replace("T", " at ") : "";
  }
  const words = durationInWords(value);
  return words ? "after " + words : "";
}
