-- Descriptive growth (METRICS.md "Impact", descriptive): for tutored and
-- comparison students of the analysis sample, the mean scale-score gain,
-- the mean percentile change, and the share at or above the benchmark
-- percentile at baseline and at outcome. Observational, not causal.
SELECT
    CASE WHEN $by_school THEN s.school END                AS school,
    CASE WHEN $by_provider THEN s.provider END            AS provider,
    CASE WHEN $by_subject THEN s.subject END              AS subject,
    CASE WHEN $by_grade_band THEN
        CASE WHEN s.grade IS NULL THEN NULL WHEN s.grade <= 2 THEN 'K-2' WHEN s.grade <= 5 THEN '3-5'
             WHEN s.grade <= 8 THEN '6-8' ELSE '9-12' END END AS grade_band,
    CAST(NULL AS VARCHAR)                                 AS period,
    CAST(NULL AS VARCHAR)                                 AS month,
    CAST(NULL AS DATE)                                    AS week,
    CASE WHEN $by_ell THEN st.ell END                     AS ell,
    CASE WHEN $by_sped THEN st.sped END                   AS sped,
    CASE WHEN $by_econ_disadv THEN st.econ_disadv END     AS econ_disadv,
    s."group"                                             AS "group",
    -- n: the students of the row's group
    count(*)                                              AS students,
    avg(s.outcome_score - s.baseline_score)               AS mean_scale_score_gain,
    -- the 95% interval of the mean gain: mean ± 1.96 standard errors
    -- (sample standard deviation ÷ √n); none for fewer than 2 students
    CASE WHEN count(s.outcome_score - s.baseline_score) >= 2 THEN
        avg(s.outcome_score - s.baseline_score)
        - 1.96 * stddev_samp(s.outcome_score - s.baseline_score) / sqrt(count(s.outcome_score - s.baseline_score)) END AS gain_ci_low,
    CASE WHEN count(s.outcome_score - s.baseline_score) >= 2 THEN
        avg(s.outcome_score - s.baseline_score)
        + 1.96 * stddev_samp(s.outcome_score - s.baseline_score) / sqrt(count(s.outcome_score - s.baseline_score)) END AS gain_ci_high,
    avg(s.outcome_percentile - s.baseline_percentile)     AS mean_percentile_change,
    avg(CASE WHEN s.baseline_percentile >= $benchmark_percentile THEN 1.0 ELSE 0.0 END) FILTER (WHERE s.baseline_percentile IS NOT NULL) AS share_at_benchmark_baseline,
    avg(CASE WHEN s.outcome_percentile >= $benchmark_percentile THEN 1.0 ELSE 0.0 END) FILTER (WHERE s.outcome_percentile IS NOT NULL) AS share_at_benchmark_outcome
FROM analysis_sample s
LEFT JOIN students st USING (student_id)
WHERE s.in_sample AND s."group" IN ('tutored', 'comparison')
  -- a comparison student has no provider: cut by provider, the comparison
  -- students make one row of their own (provider empty)
GROUP BY ALL
ORDER BY ALL
