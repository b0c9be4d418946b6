#!/bin/sh
# MTCNN detection time per photo, zoo against facenet-pytorch, alternating: BENCHMARKS.md's MTCNN table.
#   swift build -c release --product zoo
#   sh bench/mtcnn_compare.sh PHOTO [ROUNDS]
# Each round runs the PyTorch side (bench/mtcnn_bench.py: 5 timed detections after a warm-up, median), then
# zoo: `zoo run detect` on the photo given once and given 6 times; the difference over 5 is the time per
# photo with process start, catalog and weight loading taken out (decoding the PNG stays in).
set -eu
photo=$1
rounds=${2:-5}
zoo=${ZOO:-.build/release/zoo}
now() { date +%s%N; }
for round in $(seq "$rounds"); do
    python3 bench/mtcnn_bench.py "$photo" --runs 5 ${THREADS:+--threads $THREADS}
    start=$(now); "$zoo" run detect --images "$photo" >/dev/null 2>&1; middle=$(now)
    "$zoo" run detect --images "$photo" "$photo" "$photo" "$photo" "$photo" "$photo" >/dev/null 2>&1; end=$(now)
    python3 -c "once = ($middle - $start) / 1e6; six = ($end - $middle) / 1e6; print(f'zoo round $round: 1 photo {once:.0f} ms, 6 photos {six:.0f} ms, per photo {(six - once) / 5:.1f} ms')"
done
