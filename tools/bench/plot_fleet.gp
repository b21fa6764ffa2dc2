# gnuplot -e "dir='RESULTS'; outfile='docs/perf-fleet.png'" tools/bench/plot_fleet.gp
# Bars are medians over the runs, error bars min..max (tools/bench/summarize_fleet.py).
set terminal pngcairo size 1500,500 font "DejaVu Sans,11"
set termoption noenhanced
set output outfile
set multiplot layout 1,3 title "stepupd fleet store (tools/bench/run --fleet): medians, min..max over runs"
set style data histograms
set style histogram errorbars gap 2 lw 1
set style fill solid 0.7 border -1
set key top left
set grid ytics
set xlabel "concurrent clients (per daemon)"

set title "DECIDE p50, allow path"
set ylabel "microseconds"
set logscale y
plot dir.'/fleet_decide.dat' using 2:3:4:xtic(1) title "SQLite", \
     '' using 5:6:7 title "PostgreSQL up", \
     '' using 8:9:10 title "PostgreSQL stopped"

set title "DECIDE+VERIFY flows/s"
set ylabel "flows/s"
unset logscale y
set yrange [0:*]
plot dir.'/fleet_flow_rps.dat' using 2:3:4:xtic(1) title "SQLite", \
     '' using 5:6:7 title "PostgreSQL", \
     '' using 8:9:10 title "PostgreSQL, 3 daemons"

set title "DECIDE+VERIFY flow p50"
set ylabel "microseconds"
set logscale y
set yrange [*:*]
plot dir.'/fleet_flow_lat.dat' using 2:3:4:xtic(1) title "SQLite", \
     '' using 5:6:7 title "PostgreSQL", \
     '' using 8:9:10 title "PostgreSQL, 3 daemons"
unset multiplot
