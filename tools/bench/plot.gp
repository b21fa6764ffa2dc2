# gnuplot -e "dir='RESULTS'; outfile='docs/perf.png'" tools/bench/plot.gp
# Bars are medians over the runs, error bars min..max (tools/bench/summarize.py writes *.dat).
set terminal pngcairo size 1400,1000 font "DejaVu Sans,11"
set termoption noenhanced
set output outfile
set multiplot layout 2,2 title "stepupd benchmark (tools/bench/run): medians, min..max over runs"
set style data histograms
set style histogram errorbars gap 2 lw 1
set style fill solid 0.7 border -1
set key top left
set grid ytics

set title "DECIDE throughput (allow path), new connection per request"
set ylabel "requests/s"
set xlabel "concurrent clients"
set yrange [0:*]
plot dir.'/decide_rps.dat' using 2:3:4:xtic(1) title "floor server", \
     '' using 5:6:7 title "stepupd"

set title "DECIDE latency, 1 client"
set ylabel "microseconds"
set xlabel ""
plot dir.'/decide_lat.dat' using 2:3:4:xtic(1) title "floor server", \
     '' using 5:6:7 title "stepupd"

set title "Whole process: pamtester authenticate"
set ylabel "milliseconds"
set xtics rotate by -20
plot dir.'/pam.dat' using 2:3:4:xtic(1) title "median per run" lc rgb "#4a7ab0"

set title "Scale (DECIDE p50, 1 client) and VERIFY p50"
set ylabel "microseconds"
set logscale y
set yrange [*:*]
plot dir.'/scale.dat' using 2:3:4:xtic(1) title "p50" lc rgb "#b0704a"
unset multiplot
