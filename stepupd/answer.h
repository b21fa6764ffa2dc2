/* Normalisation of security-question answers (documented in docs/factors.md):
 * leading and trailing white space removed, inner runs of white space become one space,
 * letters case-folded with towlower() in the C.UTF-8 locale.  No Unicode normalisation
 * (NFC/NFKC) is applied.  Invalid UTF-8 is refused. */
#pragma once
#include <stddef.h>

#define SU_ANSWER_NORM_MAX 512

int su_normalize_answer(const char *in, char *out, size_t size); /* 0, -EINVAL, -ENOBUFS */
