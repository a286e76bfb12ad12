# Writes sample.csv: the synthetic students of the matched-design agreement
# test (pipeline/impact/match_r_test.go). Run once; the output is committed.
#   Rscript make_fixture.R
# Selection on baseline as in real programs: low scorers are far more
# likely to be tutored. Scores are continuous, so no two are tied and the
# nearest neighbours are the same whichever way ties would be broken.
set.seed(20261207)
n <- 900
school <- sample(sprintf("S%02d", 1:8), n, replace = TRUE, prob = c(3, 3, 2, 2, 2, 1, 1, 1))
grade <- sample(3:5, n, replace = TRUE)
ell <- rbinom(n, 1, 0.15)
sped <- rbinom(n, 1, 0.10)
shift <- c(S01 = 0.3, S02 = -0.2, S03 = 0, S04 = -0.4, S05 = 0.2, S06 = -0.1, S07 = 0.1, S08 = -0.3)[school]
z_base <- rnorm(n) + shift - 0.3 * ell - 0.5 * sped
tutored <- rbinom(n, 1, plogis(-1.6 - 1.8 * z_base))
z_out <- 0.65 * z_base + 0.5 * shift + 0.2 * tutored + rnorm(n, sd = 0.6)
d <- data.frame(student = sprintf("st%04d", 1:n), school, grade, ell, sped, tutored,
                z_base = round(z_base, 6), z_out = round(z_out, 6))
write.csv(d, "sample.csv", row.names = FALSE, quote = FALSE)
cat(sprintf("%d students, %d tutored\n", n, sum(tutored)))
