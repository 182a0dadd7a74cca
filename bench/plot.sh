#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# plot.sh DAT PNG TITLE: the ratio to native per workload and target of
# one section of bench/run.sh (its NAME-LOWER.dat: a header line, then per
# workload "ratio min max" for each target, native first) as a bar chart
# of the targets other than native, with the per-round min-max as error
# bars, the native line at 1 and the SUSPECT line at 1.05 (dashed).  Needs gnuplot (Debian's gnuplot-nox).
set -eu

[ $# -eq 3 ] || {
	echo "usage: plot.sh DAT PNG TITLE" >&2
	exit 2
}
dat=$1
png=$2
title=$(printf '%s' "$3" | sed 's/"/\\"/g')
ntargets=$(($(head -n 1 "$dat" | wc -w) / 3))
gnuplot <<EOF
set terminal pngcairo size 1100,480 font "sans,10"
set output "$png.tmp"
set title "$title\nratio to native: median and min-max of the rounds; dashed: 1.05" noenhanced
set style data histograms
set style histogram errorbars gap 2 lw 1
set style fill solid 0.8 border -1
set logscale y
set yrange [0.001:2]
set ytics (0.001, 0.01, 0.1, 0.25, 0.5, 1)
set grid ytics
set ylabel "ratio to native (log scale)"
set key outside right top noenhanced
set xtics rotate by -30 noenhanced
set datafile missing "NaN"
plot for [i=1:$ntargets - 1] "$dat" using (column(2 + 3 * i)):(column(3 + 3 * i)):(column(4 + 3 * i)):xtic(1) \
	title columnhead(2 + 3 * i), \
	1 with lines lt -1 lw 1 notitle, \
	1.05 with lines dt 2 lc rgb "red" notitle
EOF
mv "$png.tmp" "$png"
