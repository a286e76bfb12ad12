# The matched design computed independently with MatchIt and estimatr, on
# sample.csv (see make_fixture.R), for pipeline/impact/match_r_test.go:
#   Rscript reference.R sample.csv OUTDIR
# writes OUTDIR/weights.csv (each student's matching weight) and
# OUTDIR/estimates.csv (one figure a line: name,value).
#
# The design (docs/metrics.md "The matched comparison"): nearest-neighbour
# matching with replacement, 3 comparison students per tutored student,
# exactly on grade and the roster flags, within 0.2 SD of the baseline
# z-score, a comparison student of the tutored student's own school before
# any other. The school preference is the distance: |difference in
# baseline| plus 1000 when the schools differ (more than any caliper).
# Then z_out ~ tutored + z_base + grade + school with the matching weights:
# HC2 standard errors, and CR2 clustered by school.
suppressMessages({
  library(MatchIt)
  library(estimatr)
})
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
out <- args[2]
tr <- d$tutored == 1
D <- abs(outer(d$z_base[tr], d$z_base[!tr], "-")) + 1000 * outer(d$school[tr], d$school[!tr], "!=")
m <- matchit(tutored ~ z_base, data = d, distance = D, method = "nearest", replace = TRUE, ratio = 3,
             exact = ~ grade + ell + sped, caliper = c(z_base = 0.2), std.caliper = FALSE)
d$w <- m$weights
write.csv(d[, c("student", "w")], file.path(out, "weights.csv"), row.names = FALSE, quote = FALSE)

md <- d[d$w > 0, ]
hc2 <- lm_robust(z_out ~ tutored + z_base + factor(grade) + factor(school), data = md, weights = w, se_type = "HC2")
cr2 <- lm_robust(z_out ~ tutored + z_base + factor(grade) + factor(school), data = md, weights = w,
                 clusters = school, se_type = "CR2")

# Weighted Hedges' g of the baseline, written out from its definition:
# weighted means; each group's variance sum(w (x - m)^2) / sum(w) * n/(n-1),
# n its number of students; pooled with n-1; J = 1 - 3/(4N - 9).
wg <- function(x, w, t) {
  grp <- function(k) {
    xs <- x[t == k]; ws <- w[t == k]; n <- length(xs)
    mu <- sum(ws * xs) / sum(ws)
    list(n = n, m = mu, v = sum(ws * (xs - mu)^2) / sum(ws) * n / (n - 1))
  }
  a <- grp(1); b <- grp(0)
  s <- sqrt(((a$n - 1) * a$v + (b$n - 1) * b$v) / (a$n + b$n - 2))
  (1 - 3 / (4 * (a$n + b$n) - 9)) * (a$m - b$m) / s
}
# The whole-sample sensitivity model: no matching, no weights.
whole <- lm_robust(z_out ~ tutored + z_base + factor(grade) + factor(school), data = d, clusters = school, se_type = "CR2")
whole_hc2 <- lm_robust(z_out ~ tutored + z_base + factor(grade) + factor(school), data = d, se_type = "HC2")
cw <- md$w[md$tutored == 0]
est <- c(
  effect_sd = unname(coef(hc2)["tutored"]),
  std_error = unname(hc2$std.error["tutored"]),
  cluster_std_error = unname(cr2$std.error["tutored"]),
  z_base_coef = unname(coef(hc2)["z_base"]),
  z_base_std_error = unname(hc2$std.error["z_base"]),
  z_base_cluster_std_error = unname(cr2$std.error["z_base"]),
  baseline_difference_sd = wg(md$z_base, md$w, md$tutored),
  unadjusted_difference_sd = wg(md$z_out, md$w, md$tutored),
  baseline_difference_before_matching = wg(d$z_base, rep(1, nrow(d)), d$tutored),
  n_tutored = sum(md$tutored == 1),
  n_comparison = sum(md$tutored == 0),
  n_tutored_unmatched = sum(d$tutored == 1) - sum(md$tutored == 1),
  n_comparison_effective = sum(cw)^2 / sum(cw^2),
  whole_effect_sd = unname(coef(whole)["tutored"]),
  whole_std_error = unname(whole_hc2$std.error["tutored"]),
  whole_cluster_std_error = unname(whole$std.error["tutored"])
)
write.csv(data.frame(name = names(est), value = sprintf("%.15g", est)), file.path(out, "estimates.csv"),
          row.names = FALSE, quote = FALSE)
