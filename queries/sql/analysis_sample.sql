-- The impact analysis table (METRICS.md "Impact"): one row per student,
-- subject and assessment with a baseline (the year's first window) and an
-- outcome (the configured window) score. Scores are standardised within
-- grade x subject x window x assessment over every student with that score,
-- not only the sample. Tutored: at least $min_sessions attended sessions in
-- the subject between the two test dates. Comparison: no attended session at
-- all. In the sample: the student's school and grade had someone tutored in
-- the subject. Materialised once per run as analysis_sample.
WITH scores AS (
    SELECT a.*, coalesce(a.grade, st.grade) AS g, coalesce(a.school_id, st.school_id) AS school
    FROM assessments a LEFT JOIN students st USING (student_id)
    WHERE a.school_year = $school_year
),
z AS (
    -- mean and sample SD from exact integer sums (scores in thousandths):
    -- floating-point sums depend on the order parallel threads add in, and
    -- the same data must give the same z-scores (and research export bytes)
    SELECT * EXCLUDE (n, s1, s2),
           (scale_score - CAST(s1 AS DOUBLE) / 1000 / n)
             / nullif(sqrt(CAST(n * s2 - s1 * s1 AS DOUBLE) / (n * (n - 1))) / 1000, 0) AS z_score
    FROM (
        SELECT *,
               count(scale_score) OVER w                                  AS n,
               sum(CAST(round(scale_score * 1000) AS HUGEINT)) OVER w     AS s1,
               sum(CAST(round(scale_score * 1000) AS HUGEINT) * CAST(round(scale_score * 1000) AS HUGEINT)) OVER w AS s2
        FROM scores
        WINDOW w AS (PARTITION BY g, subject, "window", assessment)
    )
),
first_window AS (
    SELECT student_id, subject, assessment,
           min(CASE "window" WHEN 'fall' THEN 1 WHEN 'winter' THEN 2 ELSE 3 END) AS w
    FROM z GROUP BY ALL
),
pairs AS (
    SELECT b.student_id, b.subject, b.assessment, b.school, b.g AS grade,
           b.test_date AS baseline_date, b.scale_score AS baseline_score, b.percentile AS baseline_percentile, b.z_score AS z_baseline,
           o.test_date AS outcome_date, o.scale_score AS outcome_score, o.percentile AS outcome_percentile, o.z_score AS z_outcome
    FROM z b
    JOIN first_window f ON f.student_id = b.student_id AND f.subject = b.subject AND f.assessment = b.assessment
        AND CASE b."window" WHEN 'fall' THEN 1 WHEN 'winter' THEN 2 ELSE 3 END = f.w
    JOIN z o ON o.student_id = b.student_id AND o.subject = b.subject AND o.assessment = b.assessment
        AND o."window" = $outcome_window AND o.test_date > b.test_date
),
dose AS (
    SELECT p.student_id, p.subject, p.assessment,
           count(se.session_key) FILTER (WHERE se.status = 'attended' AND se.subject = p.subject
               AND se.session_date > p.baseline_date AND se.session_date < p.outcome_date) AS sessions_between,
           coalesce(sum(se.duration_minutes) FILTER (WHERE se.status = 'attended' AND se.subject = p.subject
               AND se.session_date <= p.outcome_date), 0) / 60.0 AS hours,
           -- tutored at all this school year, in any subject
           count(se.session_key) FILTER (WHERE se.status = 'attended' AND se.session_date BETWEEN $from AND $to) AS attended_any,
           count(DISTINCT se.provider) FILTER (WHERE se.status = 'attended' AND se.subject = p.subject
               AND se.session_date > p.baseline_date AND se.session_date < p.outcome_date) AS providers,
           min(se.provider) FILTER (WHERE se.status = 'attended' AND se.subject = p.subject
               AND se.session_date > p.baseline_date AND se.session_date < p.outcome_date) AS first_provider
    FROM pairs p LEFT JOIN session_facts se ON se.student_id = p.student_id
    GROUP BY ALL
),
classified AS (
    SELECT p.*, d.sessions_between, d.hours,
           CASE WHEN d.sessions_between >= $min_sessions THEN 'tutored'
                WHEN d.attended_any = 0 THEN 'comparison'
                ELSE 'excluded' END AS "group",
           CASE WHEN d.providers = 1 THEN d.first_provider WHEN d.providers > 1 THEN 'multiple' END AS provider
    FROM pairs p JOIN dose d USING (student_id, subject, assessment)
)
SELECT c.*,
       CASE WHEN c.hours = 0 THEN '0' WHEN c.hours <= 5 THEN '(0,5]' WHEN c.hours <= 10 THEN '(5,10]'
            WHEN c.hours <= 20 THEN '(10,20]' WHEN c.hours <= 30 THEN '(20,30]' ELSE '>30' END AS dosage_band,
       EXISTS (SELECT 1 FROM classified t WHERE t."group" = 'tutored' AND t.subject = c.subject
               AND t.assessment = c.assessment AND t.school IS NOT DISTINCT FROM c.school
               AND t.grade IS NOT DISTINCT FROM c.grade) AS in_sample
FROM classified c
