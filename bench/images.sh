#!/usr/bin/env bash
# Profile images on a release build: serving a cached 128 px rendition, uploading a 2 MB
# JPEG, and the server's peak RSS during 16 parallel uploads of a large JPEG. The JPEGs are
# made with ImageMagick (installed when missing).
#
#   bash bench/images.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
command -v convert >/dev/null && convert -version >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq imagemagick; }
source bench/server.sh
auth=(-H "Authorization: Bearer $ROSTER_SECRET_KEY")

convert -size 2000x1500 plasma: -attenuate 0.4 +noise Gaussian -quality 92 "$BENCH_DATA/2mb.jpg"
convert -size 3000x2250 plasma: +noise Gaussian -quality 95 "$BENCH_DATA/large.jpg"
echo "files: $(stat -c %s "$BENCH_DATA/2mb.jpg") and $(stat -c %s "$BENCH_DATA/large.jpg") bytes"

user=$(curl -sf "${auth[@]}" -H 'Content-Type: application/json' -d '{"first_name":"Bench"}' \
    "$BASE/v1/users" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
image_url=$(curl -sf "${auth[@]}" -F "file=@$BENCH_DATA/2mb.jpg" "$BASE/v1/users/$user/profile_image" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["image_url"])')
path="/${image_url#*://*/}"

echo "== GET $path?width=128&height=128 (cached rendition, 32 connections)"
curl -sf -o /dev/null "$BASE$path?width=128&height=128"
wrk --latency -t1 -c32 -d"$DURATION" "$BASE$path?width=128&height=128" \
    | grep -E 'Requests/sec|Non-2xx|^ +(50|99)%'

echo "== POST /v1/users/{id}/profile_image, 2 MB JPEG (4 connections)"
IMAGE_FILE="$BENCH_DATA/2mb.jpg" USER_ID="$user" \
    wrk --latency -t1 -c4 -d"$DURATION" -s bench/upload_image.lua "$BASE" \
    | grep -E 'Requests/sec|Non-2xx|^ +(50|99)%'

echo "== 16 parallel uploads of the large JPEG"
grep VmRSS /proc/$SERVER/status
# Restart the peak-RSS count, so that it covers these uploads only.
echo 5 > /proc/$SERVER/clear_refs
for _ in $(seq 16); do
    curl -s -o /dev/null -w '%{http_code}\n' "${auth[@]}" -F "file=@$BENCH_DATA/large.jpg" \
        "$BASE/v1/users/$user/profile_image" &
done | sort | uniq -c  # the pipe ends once every upload has answered
grep -E 'VmHWM|VmRSS' /proc/$SERVER/status
