-- Research export: one row per student, subject and school year: dosage
-- (sessions, minutes, active instructional weeks, hours band, providers) and
-- the scores of the impact analysis table (baseline, outcome, z-scores, the
-- impact group). Uses the metrics set-up (session_facts,
-- instructional_weeks, analysis_sample); the year is July 1 to June 30.
WITH dosage AS (
    SELECT student_id, subject,
           count(*)                                                          AS sessions_scheduled,
           count(*) FILTER (WHERE status = 'attended')                       AS sessions_attended,
           coalesce(sum(duration_minutes) FILTER (WHERE status = 'attended'), 0) AS minutes_attended,
           min(session_date)                                                 AS first_day,
           max(session_date)                                                 AS last_day,
           string_agg(DISTINCT provider, ';' ORDER BY provider)              AS providers
    FROM session_facts
    WHERE session_date BETWEEN $from AND $to
    GROUP BY ALL
),
weeks AS (
    SELECT d.student_id, d.subject, count(w.week_start) AS active_weeks
    FROM dosage d LEFT JOIN instructional_weeks w
      ON w.week_start BETWEEN date_trunc('week', d.first_day) AND date_trunc('week', d.last_day)
    GROUP BY ALL
),
scores AS (
    -- one assessment per subject: the one with most students in the sample
    SELECT a.* FROM analysis_sample a
    JOIN (SELECT subject, arg_max(assessment, n) AS assessment
          FROM (SELECT subject, assessment, count(*) AS n FROM analysis_sample GROUP BY ALL)
          GROUP BY subject) m USING (subject, assessment)
),
keys AS (
    SELECT student_id, subject FROM dosage UNION SELECT student_id, subject FROM scores
)
SELECT
    k.student_key,
    u.subject,
    coalesce(s.school, st.school_id)                AS school_id,
    CAST(coalesce(st.grade, s.grade) AS INTEGER)    AS grade,
    CAST(coalesce(d.sessions_scheduled, 0) AS INTEGER) AS sessions_scheduled,
    CAST(coalesce(d.sessions_attended, 0) AS INTEGER)  AS sessions_attended,
    CAST(coalesce(d.minutes_attended, 0) AS DOUBLE)    AS minutes_attended,
    CAST(coalesce(w.active_weeks, 0) AS INTEGER)       AS active_weeks,
    CASE WHEN coalesce(d.minutes_attended, 0) = 0 THEN '0'
         WHEN d.minutes_attended / 60 <= 5 THEN '(0,5]'
         WHEN d.minutes_attended / 60 <= 10 THEN '(5,10]'
         WHEN d.minutes_attended / 60 <= 20 THEN '(10,20]'
         WHEN d.minutes_attended / 60 <= 30 THEN '(20,30]'
         ELSE '>30' END                              AS dosage_band,
    d.providers,
    s.assessment,
    s.baseline_score,
    s.outcome_score,
    s.z_baseline,
    s.z_outcome,
    CASE WHEN s."group" = 'tutored' THEN true WHEN s."group" = 'comparison' THEN false END AS tutored,
    s."group"                                       AS impact_group,
    $school_year                                    AS school_year
FROM keys u
JOIN student_keys k ON k.student_id = u.student_id
LEFT JOIN dosage d ON d.student_id = u.student_id AND d.subject = u.subject
LEFT JOIN weeks w ON w.student_id = u.student_id AND w.subject = u.subject
LEFT JOIN scores s ON s.student_id = u.student_id AND s.subject = u.subject
LEFT JOIN students st ON st.student_id = u.student_id
ORDER BY k.student_key, u.subject
