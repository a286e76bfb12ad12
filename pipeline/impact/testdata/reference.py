#!/usr/bin/env python3
"""Independent reference numbers for the impact package's OLS / HC2 test.

Usage (from pipeline/impact):

    python3 testdata/reference.py > testdata/reference.json

Standard library only. Every step up to the final square root is exact rational
arithmetic (fractions.Fraction): the CSV's decimal strings are read as exact
fractions, X'X is inverted by Gauss-Jordan elimination, and the coefficients,
residuals, leverages h_ii = x_i'(X'X)^-1 x_i and the HC2 sandwich

    V = (X'X)^-1 [ sum_i x_i x_i' e_i^2 / (1 - h_ii) ] (X'X)^-1

(MacKinnon & White 1985) are computed without rounding. Standard errors are the
square roots of the exact variances, taken with decimal.Decimal at 50 digits and
printed to 20 significant digits. Nothing here shares code with the Go package.

Data: testdata/mtcars.csv, R's datasets::mtcars (Motor Trend road tests, 1974;
Henderson & Velleman 1981), 32 cars. Models:

  main:  mpg ~ 1 + am + wt + hp + cyl=6 + cyl=8   (am is the 0/1 "treatment";
         cyl is categorical with 4 cylinders as the reference level)
  wt_hp: mpg ~ 1 + wt + hp  (also gives classical SEs, so the data can be checked
         against R's widely printed summary(lm(mpg ~ wt + hp, mtcars)):
         37.22727 (1.59879), -3.87783 (0.63273), -0.03177 (0.00903), R2 0.8268)
"""

import csv
import decimal
import json
import os
import re
import sys
from fractions import Fraction as F

decimal.getcontext().prec = 50


def read_rows():
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "mtcars.csv"), newline="") as f:
        return list(csv.DictReader(f))


def gauss_jordan_inverse(a):
    n = len(a)
    m = [row[:] + [F(int(i == j)) for j in range(n)] for i, row in enumerate(a)]
    for col in range(n):
        pivot = next(r for r in range(col, n) if m[r][col] != 0)  # exact: any nonzero pivot works
        m[col], m[pivot] = m[pivot], m[col]
        pv = m[col][col]
        m[col] = [v / pv for v in m[col]]
        for r in range(n):
            if r != col and m[r][col] != 0:
                factor = m[r][col]
                m[r] = [vr - factor * vc for vr, vc in zip(m[r], m[col])]
    return [row[n:] for row in m]


def matmul(a, b):
    return [[sum(a[i][k] * b[k][j] for k in range(len(b))) for j in range(len(b[0]))] for i in range(len(a))]


def dec(fr):
    return decimal.Decimal(fr.numerator) / decimal.Decimal(fr.denominator)


def num(d):
    # 20 significant digits; marked so main() can print it as a bare JSON number
    # (json.dumps would round-trip through a 17-digit float otherwise).
    return "@@" + format(d, ".20g") + "@@"


def fit(rows, terms, build):
    X = [[F(1)] + build(r) for r in rows]
    y = [F(r["mpg"]) for r in rows]
    n, p = len(X), len(X[0])
    xtx = [[sum(X[i][a] * X[i][b] for i in range(n)) for b in range(p)] for a in range(p)]
    xtx_inv = gauss_jordan_inverse(xtx)
    xty = [sum(X[i][a] * y[i] for i in range(n)) for a in range(p)]
    beta = [sum(xtx_inv[a][b] * xty[b] for b in range(p)) for a in range(p)]
    e = [y[i] - sum(X[i][a] * beta[a] for a in range(p)) for i in range(n)]
    h = [sum(X[i][a] * xtx_inv[a][b] * X[i][b] for a in range(p) for b in range(p)) for i in range(n)]
    meat = [[sum(X[i][a] * X[i][b] * e[i] ** 2 / (1 - h[i]) for i in range(n)) for b in range(p)] for a in range(p)]
    v_hc2 = matmul(matmul(xtx_inv, meat), xtx_inv)
    rss = sum(v * v for v in e)
    ybar = sum(y) / n
    tss = sum((v - ybar) ** 2 for v in y)
    sigma2 = rss / (n - p)
    names = ["(intercept)"] + terms
    return {
        "n": n,
        "p": p,
        "terms": names,
        "coef": {names[a]: num(dec(beta[a])) for a in range(p)},
        "se_hc2": {names[a]: num(dec(v_hc2[a][a]).sqrt()) for a in range(p)},
        "se_classical": {names[a]: num(dec(sigma2 * xtx_inv[a][a]).sqrt()) for a in range(p)},
        "r2": num(dec(1 - rss / tss)),
        "max_leverage": num(dec(max(h))),
    }


def main():
    rows = read_rows()
    out = {
        "generated_by": "python3 testdata/reference.py > testdata/reference.json (exact Fraction arithmetic)",
        "data": "testdata/mtcars.csv (R datasets::mtcars, 32 rows)",
        "models": {
            "main": fit(
                rows,
                ["am", "wt", "hp", "cyl=6", "cyl=8"],
                lambda r: [F(r["am"]), F(r["wt"]), F(r["hp"]), F(int(r["cyl"] == "6")), F(int(r["cyl"] == "8"))],
            ),
            "wt_hp": fit(rows, ["wt", "hp"], lambda r: [F(r["wt"]), F(r["hp"])]),
        },
    }
    text = json.dumps(out, indent=2)
    sys.stdout.write(re.sub(r'"@@([^@]+)@@"', r"\1", text) + "\n")


if __name__ == "__main__":
    main()
