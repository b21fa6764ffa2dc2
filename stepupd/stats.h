/* STATS: the daemon's counters and latency histograms (metrics.c), for root only. */
#pragma once
#include "manager.h"

void su_handle_stats(struct su_conn *c);
