// ISO 8601 durations, dates and cycles in words, for the timer and due-time fields.
import { t, tn } from "./texts";

const UNITS = [["Y", "year"], ["M", "month"], ["W", "week"], ["D", "day"]];
const TIME_UNITS = [["H", "hour"], ["M", "minute"], ["S", "second"]];
const DURATION = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(?:\.\d+)?S)?)?$/;

function plural(n, unit) {
  switch (unit) {
    case "year": return tn("%(num)s year", "%(num)s years", n);
    case "month": return tn("%(num)s month", "%(num)s months", n);
    case "week": return tn("%(num)s week", "%(num)s weeks", n);
    case "day": return tn("%(num)s day", "%(num)s days", n);
    case "hour": return tn("%(num)s hour", "%(num)s hours", n);
    case "minute": return tn("%(num)s minute", "%(num)s minutes", n);
    default: return tn("%(num)s second", "%(num)s seconds", n);
  }
}

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
    const cycle = c[1] ? t("%(times)s, every %(every)s", { times: tn("%(num)s time", "%(num)s times", c[1]), every })
      : t("repeatedly, every %(every)s", { every });
    return c[2] ? t("%(cycle)s from %(start)s", { cycle, start: c[2] }) : cycle;
  }
  if (kind === "timeDate") {
    if (!/^\d{4}-\d{2}-\d{2}/.test(value)) { return ""; }
    const [date, time] = value.split("T");
    return time ? t("on %(date)s at %(time)s", { date, time }) : t("on %(date)s", { date });
  }
  const words = durationInWords(value);
  return words ? t("after %(duration)s", { duration: words }) : "";
}
