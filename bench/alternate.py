"""Runs `zoo bench` and bench/pytorch_bench.py in turn, round after round, and
prints each pair's ratio, the median ratio and a bootstrap interval for it.

On a shared machine one pair says little: the other users' load moves a step by
±15 % from one minute to the next. Alternating puts both sides under the same
load on average, and the interval says whether a margin is more than that noise.
Output: one line per pair as it finishes, then a summary; --json FILE also
writes every run's figures.

    python bench/alternate.py --rounds 10 --mode train --batch 8 --steps 3
    python bench/alternate.py --rounds 10 --mode infer --batch 8 --steps 5
    python bench/alternate.py --rounds 10 --mode train --batch 8 --steps 3 --zoo-args "--replicas 2"

Needs the release build (swift build -c release --product zoo) and, for the
PyTorch side, torch and timm (CI never runs it).
"""
import argparse
import json
import os
import platform
import random
import shlex
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def run_json(command):
    """Runs a bench command and returns the last JSON object it printed."""
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    start = out.rfind("\n{")  # zoo prints indented JSON, PyTorch one line
    text = out[start + 1:] if start >= 0 else out
    return json.loads(text)


def load_average():
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read()
    except OSError:
        return platform.processor()
    name = next((l.split(":", 1)[1].strip() for l in info.splitlines() if l.startswith("model name")), "?")
    flags = next((l.split(":", 1)[1].split() for l in info.splitlines() if l.startswith("flags")), [])
    vector = [f for f in flags if f.startswith(("avx", "amx", "fma"))]
    return f"{name} ({' '.join(vector) or 'no AVX'})"


def bootstrap_median_interval(values, draws=10000, level=0.9, seed=0):
    rng = random.Random(seed)
    medians = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(draws))
    lo = medians[int((1 - level) / 2 * draws)]
    hi = medians[int((1 + level) / 2 * draws) - 1]
    return lo, hi


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--model", default="vit-base-patch16")
    ap.add_argument("--mode", choices=["infer", "train"], default="train")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--zoo", default=os.path.join(ROOT, ".build/release/zoo"))
    ap.add_argument("--zoo-args", default="", help="more arguments for zoo bench")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--json", help="also write every run here")
    args = ap.parse_args()

    common = ["--model", args.model, "--mode", args.mode, "--batch", str(args.batch), "--steps", str(args.steps)]
    zoo = [args.zoo, "bench", *common, "--json", *shlex.split(args.zoo_args)]
    torch = [args.python, os.path.join(HERE, "pytorch_bench.py"), *common, "--threads", str(args.threads)]
    print(f"CPU: {cpu_name()}, {os.cpu_count()} cores")
    print("zoo:     " + " ".join(shlex.quote(c) for c in zoo))
    print("PyTorch: " + " ".join(shlex.quote(c) for c in torch))
    print(f"{'round':>5} {'load':>5} {'zoo img/s':>10} {'PyTorch':>10} {'ratio':>7}", flush=True)

    runs = []
    for r in range(args.rounds):
        # Alternate which side goes first, so neither always follows the other's cache and page state.
        order = [("zoo", zoo), ("pytorch", torch)] if r % 2 == 0 else [("pytorch", torch), ("zoo", zoo)]
        figures = {"round": r + 1, "load_before": load_average()}
        for name, command in order:
            figures[name] = run_json(command)["images_per_second"]
        figures["ratio"] = figures["zoo"] / figures["pytorch"]
        runs.append(figures)
        print(f"{r + 1:>5} {figures['load_before']:>5.2f} {figures['zoo']:>10.3f} {figures['pytorch']:>10.3f}"
              f" {figures['ratio']:>7.3f}", flush=True)

    ratios = [f["ratio"] for f in runs]
    summary = {
        "cpu": cpu_name(),
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "zoo_median": statistics.median(f["zoo"] for f in runs),
        "pytorch_median": statistics.median(f["pytorch"] for f in runs),
        "ratio_median": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "zoo_ahead_in": sum(r > 1 for r in ratios),
        "rounds": len(ratios),
    }
    if len(ratios) >= 3:
        summary["ratio_median_90pct_interval"] = bootstrap_median_interval(ratios)
    print(json.dumps(summary))
    if args.json:
        with open(args.json + ".tmp", "w") as f:
            json.dump({"summary": summary, "runs": runs, "zoo": zoo, "pytorch": torch}, f, indent=1)
        os.replace(args.json + ".tmp", args.json)


if __name__ == "__main__":
    main()
