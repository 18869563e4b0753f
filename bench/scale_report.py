"""bench/scale.py's order of phases and its summary: medians over the rounds, their spread,
the paired on/off ratios and the targets, as one JSON-able dict, and a table for people."""
from __future__ import annotations

from statistics import median


def rotate(modes: list[str], k: int) -> list[str]:
    """The modes in the order of phase ``k``: reversed every other phase (on, off, off,
    on, ... for two modes), so neither mode always runs first or right after the other."""
    return list(reversed(modes)) if k % 2 else list(modes)


def spread(values: list[float]) -> dict:
    """Median, min and max of one figure over the rounds."""
    return {"median": round(median(values), 3), "min": round(min(values), 3),
            "max": round(max(values), 3)}


def _per_w(runs: dict, key: str, counts) -> dict:
    return {f"W={n}": spread([r[key] for r in runs[n]]) for n in counts}


def _ratios(a: dict, b: dict, key: str, counts) -> dict:
    """a / b per W: per round (phases run back to back), its median and spread, and the
    ratio of the medians."""
    out = {}
    for n in counts:
        pairs = [x[key] / y[key] for x, y in zip(a[n], b[n], strict=True) if y[key]]
        out[f"W={n}"] = dict(spread(pairs), per_round=[round(p, 3) for p in pairs],
                             of_medians=round(median(r[key] for r in a[n])
                                              / median(r[key] for r in b[n]), 3))
    return out


def summary(results: dict, counts) -> dict:
    modes = results["modes"]
    out = {"counts": list(counts), "rounds": len(next(iter(modes.values()))["workers"][1]),
           "load_average_at_each_round": results["load_average"],
           "sealer": {"events_sealed": results["sealed"], "cpu_s": results["sealer_cpu_s"],
                      "idle_passes_cpu_s": results["sealer_idle_cpu_s"]},
           "modes": {}}
    for mode, res in modes.items():
        w, r = res["workers"], res["runners"]
        figures = {
            "instances_per_s": _per_w(w, "per_s", counts),
            "timers_per_s": {f"R={n}": spread([x["per_s"] for x in r[n]]) for n in counts},
            "audit_wait_ms_per_step": _per_w(w, "audit_wait_ms_per_step", counts),
            "audit_share_of_step": _per_w(w, "audit_share_of_step", counts),
            "step_ms": _per_w(w, "step_ms", counts),
            "cpu_ms_per_instance": _per_w(w, "cpu_ms_per_instance", counts),
            "checks": res["checks"],
        }
        if all("queued" in x for runs in w.values() for x in runs):
            # events waiting for the sealer where the measured turns begin and end: the
            # same at both ends (one interval's worth) when it kept pace
            figures["queued_events_at_window"] = {
                f"W={n}": {edge: spread([x["queued"][edge] for x in w[n]])
                           for edge in ("start", "end")} for n in counts}
        med = {n: median(x["per_s"] for x in w[n]) for n in counts}
        figures["worker_scaling"] = {f"{n}/1": round(med[n] / med[1], 2) for n in counts[1:]}
        rmed = {n: median(x["per_s"] for x in r[n]) for n in counts}
        figures["runner_scaling"] = {f"{n}/1": round(rmed[n] / rmed[1], 2) for n in counts[1:]}
        out["modes"][mode] = figures
    if "on" in modes and "off" in modes:
        on, off = modes["on"]["workers"], modes["off"]["workers"]
        out["audit_on_vs_off"] = _ratios(on, off, "per_s", counts)
        # CPU per instance (client and its database backend): off / on, so that like the
        # throughput ratio 1.0 means "the audit costs nothing" and 0.95 means 5 % more
        out["cpu_off_vs_on"] = _ratios(off, on, "cpu_ms_per_instance", counts)
        total = sum(x["started"] for runs in on.values() for x in runs)
        out["sealer"]["cpu_ms_per_instance"] = round(1000 * results["sealer_cpu_s"]
                                                     / max(total, 1), 3)
        # On 2 cores, W=4 workers and the database share the CPU: every statement of a
        # step gets slower, the audit's insert with them. Its share of the step is what
        # shows whether steps wait for each other in the audit: it must not grow from W=1
        # (a share that shrinks as other work slows down more is no wait).
        shares = [median(x["audit_share_of_step"] for x in on[n]) for n in counts]
        out["targets"] = {
            "W=2 audit on within 5% of off (median of the per-round ratios)":
                out["audit_on_vs_off"]["W=2"]["median"] >= 0.95,
            "audit share of a step does not grow with W (medians)":
                max(shares[1:]) <= 1.25 * shares[0],
        }
    if "locked" in modes and "off" in modes:
        out["locked_vs_off"] = _ratios(modes["locked"]["workers"], modes["off"]["workers"],
                                       "per_s", counts)
    out["checks_ok"] = all(all(v for v in res["checks"].values() if isinstance(v, bool))
                           for res in modes.values())
    return out


def print_table(out: dict, counts) -> None:
    """Medians (min-max) per mode, then the ratios, for people; the JSON follows."""
    def fmt(d):
        return f"{d['median']:.2f} ({d['min']:.2f}-{d['max']:.2f})"

    print(f"rounds {out['rounds']}{' (modes side by side)' if out.get('together') else ''}, "
          "load average at each round "
          f"{out['load_average_at_each_round']}")
    for mode, f in out["modes"].items():
        print(f"audit {mode:6} instances/s  " + "  ".join(
            f"W={n}: {fmt(f['instances_per_s'][f'W={n}'])}" for n in counts))
        print(f"{'':12} wait ms/step " + "  ".join(
            f"W={n}: {fmt(f['audit_wait_ms_per_step'][f'W={n}'])}" for n in counts))
        print(f"{'':12} CPU ms/inst. " + "  ".join(
            f"W={n}: {fmt(f['cpu_ms_per_instance'][f'W={n}'])}" for n in counts))
        print(f"{'':12} timers/s     " + "  ".join(
            f"R={n}: {fmt(f['timers_per_s'][f'R={n}'])}" for n in counts)
              + f"  checks {f['checks']}")
    for key in ("audit_on_vs_off", "cpu_off_vs_on", "locked_vs_off"):
        if key in out:
            print(f"{key:16} " + "  ".join(
                f"W={n}: {fmt(out[key][f'W={n}'])}" for n in counts))
    queued = out["modes"].get("on", {}).get("queued_events_at_window")
    if queued:
        print("queued events where the measured turns begin / end (audit on)  " + "  ".join(
            f"W={n}: {fmt(queued[f'W={n}']['start'])} / {fmt(queued[f'W={n}']['end'])}"
            for n in counts))
    if "cpu_ms_per_instance" in out["sealer"]:
        print(f"sealer: {out['sealer']['events_sealed']} events, "
              f"{out['sealer']['cpu_ms_per_instance']:.3f} ms CPU per instance (client and "
              f"backend, passes that sealed; idle passes {out['sealer']['idle_passes_cpu_s']} s)")
    if "targets" in out:
        print(f"targets {out['targets']}", flush=True)
