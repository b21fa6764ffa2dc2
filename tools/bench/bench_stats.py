"""What tools/bench/summarize.py and summarize_fleet.py share: the result files (tab-separated,
one header line) and medians with (min..max) over the runs."""
import statistics


def read_tsv(path):
    lines = open(path).read().split("\n")
    head = lines[0].split("\t")
    return [dict(zip(head, l.split("\t"))) for l in lines[1:] if l.strip()]


def mmm(xs):
    """(median, min, max); zeros when there is nothing."""
    return (statistics.median(xs), min(xs), max(xs)) if xs else (0, 0, 0)


def fmt(t, unit="", prec=0):
    return f"{t[0]:.{prec}f}{unit} ({t[1]:.{prec}f}..{t[2]:.{prec}f})"
