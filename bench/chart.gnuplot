# bench/chart.gnuplot - docs/perf-requests.png from build/bench/chart.dat
# (written by bench/harness.py): requests/s and client CPU µs per request,
# by client, at concurrency 1, 64 and 1024, on log scales.
#   gnuplot -e "in='build/bench/chart.dat'; out='docs/perf-requests.png'" bench/chart.gnuplot
if (!exists("in")) in = 'build/bench/chart.dat'
if (!exists("out")) out = 'docs/perf-requests.png'
set terminal pngcairo size 1400,620 font "DejaVu Sans,11" noenhanced
set output out
set datafile missing "?"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set grid ytics mytics lc rgb "#dddddd"
set xtics rotate by -30 scale 0
set key top right
set multiplot layout 1,2 title "llmio bench: small chat completion (641 B) from nginx on loopback; client on its own core" font ",13"
set title "Requests per second (higher is better)"
set ylabel "requests/s"
set yrange [1:*]
plot in using 2:xtic(1) title "c1" lc rgb "#4477aa", \
     '' using 3 title "c64" lc rgb "#66ccee", \
     '' using 4 title "c1024" lc rgb "#228833"
set title "Client CPU per request (lower is better)"
set ylabel "CPU µs per request (user+sys)"
set yrange [1:*]
plot in using 5:xtic(1) title "c1" lc rgb "#4477aa", \
     '' using 6 title "c64" lc rgb "#66ccee", \
     '' using 7 title "c1024" lc rgb "#228833"
unset multiplot
