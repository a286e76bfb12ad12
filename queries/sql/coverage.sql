-- Targeting and coverage (METRICS.md): are the students who need tutoring
-- the ones getting it? Per student and subject: eligible when the first
-- percentile of the school year is below the cutoff; served when they
-- attended at least one session in that subject in the period.
-- Coverage = eligible served / eligible; targeting = served eligible /
-- served with a baseline. Coverage is not defined per provider (eligible
-- students have no provider), so it is empty when cut by provider.
WITH baseline AS (
    SELECT student_id, subject,
           arg_min(percentile, test_date) AS percentile,
           arg_min(school_id, test_date)  AS school_id,
           arg_min(grade, test_date)      AS grade
    FROM assessments
    WHERE school_year = $school_year AND percentile IS NOT NULL AND primary_measure
    GROUP BY student_id, subject
),
served AS (
    SELECT student_id, subject, provider, count(*) AS attended
    FROM session_facts
    WHERE status = 'attended' AND session_date BETWEEN $from AND $to
    GROUP BY ALL
),
universe AS (
    SELECT coalesce(b.student_id, s.student_id) AS student_id,
           coalesce(b.subject, s.subject)       AS subject,
           s.provider,
           b.percentile IS NOT NULL             AS has_baseline,
           b.percentile < $percentile_below     AS eligible,
           s.student_id IS NOT NULL             AS served,
           coalesce(b.school_id, st.school_id)  AS school,
           coalesce(st.grade, b.grade)          AS grade,
           st.ell, st.sped, st.econ_disadv
    FROM baseline b
    FULL JOIN served s ON s.student_id = b.student_id AND s.subject = b.subject
    LEFT JOIN students st ON st.student_id = coalesce(b.student_id, s.student_id)
)
SELECT
    CASE WHEN $by_school THEN school END                  AS school,
    CASE WHEN $by_provider THEN provider END              AS provider,
    CASE WHEN $by_subject THEN subject END                AS subject,
    CASE WHEN $by_grade_band THEN
        CASE WHEN grade IS NULL THEN NULL WHEN grade <= 2 THEN 'K-2' WHEN grade <= 5 THEN '3-5'
             WHEN grade <= 8 THEN '6-8' ELSE '9-12' END END AS grade_band,
    CAST(NULL AS VARCHAR)                                 AS period,
    CAST(NULL AS VARCHAR)                                 AS month,
    CAST(NULL AS DATE)                                    AS week,
    CASE WHEN $by_ell THEN ell END                        AS ell,
    CASE WHEN $by_sped THEN sped END                      AS sped,
    CASE WHEN $by_econ_disadv THEN econ_disadv END        AS econ_disadv,
    -- n: the students (per subject) the row rests on
    count(DISTINCT (student_id, subject))                 AS students,
    count(DISTINCT (student_id, subject)) FILTER (WHERE has_baseline)             AS students_with_baseline,
    CASE WHEN NOT $by_provider THEN count(DISTINCT (student_id, subject)) FILTER (WHERE eligible) END AS eligible,
    CASE WHEN NOT $by_provider THEN count(DISTINCT (student_id, subject)) FILTER (WHERE eligible AND served) END AS eligible_served,
    CASE WHEN NOT $by_provider THEN
        count(DISTINCT (student_id, subject)) FILTER (WHERE eligible AND served)
        / nullif(count(DISTINCT (student_id, subject)) FILTER (WHERE eligible), 0) END AS coverage,
    count(DISTINCT (student_id, subject)) FILTER (WHERE served)                   AS served,
    count(DISTINCT (student_id, subject)) FILTER (WHERE served AND NOT has_baseline) AS served_without_baseline,
    count(DISTINCT (student_id, subject)) FILTER (WHERE served AND eligible)
        / nullif(count(DISTINCT (student_id, subject)) FILTER (WHERE served AND has_baseline), 0) AS targeting
FROM universe
GROUP BY ALL
ORDER BY ALL
