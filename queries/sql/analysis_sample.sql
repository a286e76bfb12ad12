-- The impact analysis table (METRICS.md "Impact"): one row per student,
-- subject and assessment with an outcome score (the configured window).
-- Scores are standardised within grade x subject x window x assessment over
-- every student with that score, not only the sample.
--
-- The baseline must come before the tutoring it is compared with: for a
-- student tutored in the subject it is the latest score in that subject and
-- assessment taken on or before the day of their first attended session
-- (in the school year; with $baseline_prior_spring also the prior year's
-- spring score); for everyone else it is the year's first window, and in it
-- the administration nearest the window's start. A tutored
-- student with no such score stays in the table with no baseline,
-- "group" = 'excluded' and excluded_reason saying why, so the report can
-- count them.
--
-- Tutored: at least $min_sessions attended sessions in the subject between
-- the two test dates. Comparison: no attended session at all this year.
-- In the sample: the student's school and grade had someone tutored in the
-- subject. Materialised once per run as analysis_sample.
WITH scores AS (
    SELECT a.*, coalesce(a.grade, st.grade) AS g, coalesce(a.school_id, st.school_id) AS school
    FROM assessments a LEFT JOIN students st USING (student_id)
    WHERE a.primary_measure  -- a composite, not its subtests
      AND (a.school_year = $school_year
       OR ($baseline_prior_spring AND a.school_year = $prior_school_year AND a."window" = 'spring'))
),
z AS (
    -- mean and sample SD from exact integer sums (scores in thousandths):
    -- floating-point sums depend on the order parallel threads add in, and
    -- the same data must give the same z-scores (and research export bytes)
    SELECT * EXCLUDE (n, s1, s2),
           (scale_score - CAST(s1 AS DOUBLE) / 1000 / n)
             / nullif(sqrt(CAST(n * s2 - s1 * s1 AS DOUBLE) / (n * (n - 1))) / 1000, 0) AS z_score,
           CASE WHEN school_year <> $school_year THEN 0
                WHEN "window" = 'fall' THEN 1 WHEN "window" = 'winter' THEN 2 ELSE 3 END AS window_rank
    FROM (
        SELECT *,
               count(scale_score) OVER w                                  AS n,
               sum(CAST(round(scale_score * 1000) AS HUGEINT)) OVER w     AS s1,
               sum(CAST(round(scale_score * 1000) AS HUGEINT) * CAST(round(scale_score * 1000) AS HUGEINT)) OVER w AS s2
        FROM scores
        WINDOW w AS (PARTITION BY school_year, g, subject, "window", assessment)
    )
),
first_session AS (
    -- the day tutoring began in the subject: the first attended session
    SELECT student_id, subject, min(session_date) AS first_session
    FROM session_facts
    WHERE status = 'attended' AND session_date BETWEEN $from AND $to
    GROUP BY ALL
),
outcomes AS (
    SELECT o.*, f.first_session,
           -- tutoring began before the outcome test: the baseline must precede it
           coalesce(f.first_session < o.test_date, false) AS began_before
    FROM z o LEFT JOIN first_session f USING (student_id, subject)
    WHERE o.school_year = $school_year AND o."window" = $outcome_window
    -- several administrations in the outcome window (monthly tests,
    -- retests): the one nearest the window's end counts
    QUALIFY row_number() OVER (PARTITION BY o.student_id, o.subject, o.assessment ORDER BY o.test_date DESC) = 1
),
baselines AS (
    SELECT o.student_id, o.subject, o.assessment, o.test_date AS outcome_date,
           b.test_date, b.scale_score, b.percentile, b.z_score,
           row_number() OVER (PARTITION BY o.student_id, o.subject, o.assessment, o.test_date
               ORDER BY CASE WHEN o.began_before THEN 0 ELSE b.window_rank END,
                        CASE WHEN o.began_before THEN -epoch(b.test_date) ELSE epoch(b.test_date) END) AS pick
    FROM outcomes o
    JOIN z b ON b.student_id = o.student_id AND b.subject = o.subject AND b.assessment = o.assessment
        AND b.test_date < o.test_date
        AND b.window_rank < o.window_rank   -- from an earlier window: not a retest in the outcome's
        AND (b.window_rank > 0 OR o.began_before)   -- the prior spring only as a baseline before tutoring
        AND (NOT o.began_before OR b.test_date <= o.first_session)
),
pairs AS (
    SELECT o.student_id, o.subject, o.assessment, o.school, o.g AS grade,
           b.test_date AS baseline_date, b.scale_score AS baseline_score, b.percentile AS baseline_percentile, b.z_score AS z_baseline,
           o.test_date AS outcome_date, o.scale_score AS outcome_score, o.percentile AS outcome_percentile, o.z_score AS z_outcome,
           o.first_session, o.began_before
    FROM outcomes o
    LEFT JOIN baselines b ON b.student_id = o.student_id AND b.subject = o.subject AND b.assessment = o.assessment
        AND b.outcome_date = o.test_date AND b.pick = 1
    -- a student not tutored before the outcome needs a baseline to be in the table at all
    WHERE b.z_score IS NOT NULL OR o.began_before
),
dose AS (
    SELECT p.student_id, p.subject, p.assessment, p.outcome_date,
           count(se.session_key) FILTER (WHERE se.status = 'attended' AND se.subject = p.subject
               AND se.session_date >= p.first_session AND se.session_date < p.outcome_date) AS sessions_between,
           coalesce(sum(se.duration_minutes) FILTER (WHERE se.status = 'attended' AND se.subject = p.subject
               AND se.session_date >= p.first_session AND se.session_date < p.outcome_date), 0) / 60.0 AS hours,
           -- tutored at all this school year, in any subject
           count(se.session_key) FILTER (WHERE se.status = 'attended' AND se.session_date BETWEEN $from AND $to) AS attended_any,
           count(DISTINCT se.provider) FILTER (WHERE se.status = 'attended' AND se.subject = p.subject
               AND se.session_date >= p.first_session AND se.session_date < p.outcome_date) AS providers,
           min(se.provider) FILTER (WHERE se.status = 'attended' AND se.subject = p.subject
               AND se.session_date >= p.first_session AND se.session_date < p.outcome_date) AS first_provider
    FROM pairs p LEFT JOIN session_facts se ON se.student_id = p.student_id
    GROUP BY ALL
),
classified AS (
    SELECT p.* EXCLUDE (first_session, began_before), d.sessions_between, d.hours,
           CASE WHEN d.sessions_between >= $min_sessions AND p.z_baseline IS NOT NULL THEN 'tutored'
                WHEN d.attended_any = 0 THEN 'comparison'
                ELSE 'excluded' END AS "group",
           CASE WHEN d.sessions_between >= $min_sessions AND p.z_baseline IS NULL THEN 'no baseline before tutoring began'
                WHEN d.sessions_between >= $min_sessions OR d.attended_any = 0 THEN NULL
                WHEN d.sessions_between > 0 THEN 'tutored fewer sessions than the minimum'
                ELSE 'tutored, but not in this subject between the two tests' END AS excluded_reason,
           CASE WHEN d.providers = 1 THEN d.first_provider WHEN d.providers > 1 THEN 'multiple' END AS provider
    FROM pairs p JOIN dose d USING (student_id, subject, assessment, outcome_date)
)
SELECT c.*,
       st.ell, st.sped, st.econ_disadv,
       CASE WHEN c.hours = 0 THEN '0' WHEN c.hours <= 5 THEN '(0,5]' WHEN c.hours <= 10 THEN '(5,10]'
            WHEN c.hours <= 20 THEN '(10,20]' WHEN c.hours <= 30 THEN '(20,30]' ELSE '>30' END AS dosage_band,
       EXISTS (SELECT 1 FROM classified t WHERE t."group" = 'tutored' AND t.subject = c.subject
               AND t.assessment = c.assessment AND t.school IS NOT DISTINCT FROM c.school
               AND t.grade IS NOT DISTINCT FROM c.grade) AS in_sample
FROM classified c
LEFT JOIN students st USING (student_id)
