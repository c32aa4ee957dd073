#!/usr/bin/env python3
"""Times a command as a whole process: median wall-clock and CPU (user + system) of --runs runs
after --warmup runs. Usage: wall.py [--runs N] [--warmup N] -- COMMAND [ARGS...]"""

import argparse
import os
import statistics
import subprocess
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command")
    walls, cpus = [], []
    for i in range(args.warmup + args.runs):
        before = os.times()
        start = time.perf_counter()
        done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wall = time.perf_counter() - start
        after = os.times()
        if done.returncode != 0:
            raise SystemExit(f"failed ({done.returncode}): {done.stderr.decode(errors='replace')}")
        if i >= args.warmup:
            walls.append(wall)
            cpus.append((after.children_user - before.children_user) + (after.children_system - before.children_system))
    print(f"wall: runs={args.runs} median_s={statistics.median(walls):.3f} min_s={min(walls):.3f} "
          f"cpu_median_s={statistics.median(cpus):.3f} command={os.path.basename(command[0])}")


if __name__ == "__main__":
    main()
