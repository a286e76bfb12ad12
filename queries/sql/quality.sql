-- Data quality (METRICS.md "Data quality"), for the data point of contact
-- first: how the provider's files loaded, whether session ids match known
-- students, and sessions that look wrong (outside the calendar, on a
-- weekend, very long or very short), and students tutored by more than one
-- provider in a subject. Counts of rows, not figures about students.
WITH s AS (
    SELECT
        CASE WHEN $by_school THEN school END                  AS school,
        CASE WHEN $by_provider THEN provider END              AS provider,
        CASE WHEN $by_subject THEN subject END                AS subject,
        CASE WHEN $by_grade_band THEN grade_band END          AS grade_band,
        CASE WHEN $by_period THEN period END                  AS period,
        CASE WHEN $by_month THEN month END                    AS month,
        CASE WHEN $by_week THEN week END                      AS week,
        CASE WHEN $by_ell THEN ell END                        AS ell,
        CASE WHEN $by_sped THEN sped END                      AS sped,
        CASE WHEN $by_econ_disadv THEN econ_disadv END        AS econ_disadv,
        provider AS session_provider, student_id, subject AS session_subject, session_date, duration_minutes, student_known
    FROM session_facts
    WHERE session_date BETWEEN $from AND $to
),
multi AS (
    -- students tutored by more than one provider in a subject
    SELECT student_id, session_subject FROM s
    GROUP BY ALL HAVING min(session_provider) <> max(session_provider)
),
student AS (
    -- per group and student first: counting distinct students over every
    -- session is the slow way to the same numbers
    SELECT
        s.school, s.provider, s.subject, s.grade_band, s.period, s.month, s.week, s.ell, s.sped, s.econ_disadv, s.student_id,
        count(*)                                                              AS sessions,
        count(*) FILTER (WHERE s.student_known)                               AS sessions_known,
        count(*) FILTER (WHERE s.session_date < $calendar_start OR s.session_date > $calendar_end
            OR b.day IS NOT NULL)                                             AS sessions_outside_calendar,
        count(*) FILTER (WHERE dayofweek(s.session_date) IN (0, 6))           AS sessions_on_weekends,
        count(*) FILTER (WHERE s.duration_minutes > 180)                      AS durations_over_180,
        count(*) FILTER (WHERE s.duration_minutes < 5)                        AS durations_under_5,
        bool_or(m.student_id IS NOT NULL)                                     AS several_providers
    FROM s
    LEFT JOIN (
        -- each day of a break once, even where breaks overlap
        SELECT DISTINCT CAST(unnest(generate_series(from_date, to_date, INTERVAL 1 DAY)) AS DATE) AS day
        FROM calendar_breaks
    ) b ON b.day = s.session_date
    LEFT JOIN multi m ON m.student_id = s.student_id AND m.session_subject = s.session_subject
    GROUP BY ALL
),
loads AS (
    -- the provider's files; only meaningful when not cut by anything else
    SELECT CASE WHEN $by_provider THEN provider END AS provider,
           count(*) FILTER (WHERE status = 'loaded')   AS files_loaded,
           count(*) FILTER (WHERE status = 'rejected') AS files_rejected,
           CAST(sum(rows_read) AS BIGINT)      AS rows_read,
           CAST(sum(rows_loaded) AS BIGINT)    AS rows_loaded,
           CAST(sum(rows_rejected) AS BIGINT)  AS rows_rejected,
           CAST(sum(rows_duplicate) AS BIGINT) AS rows_duplicate,
           CAST(sum(rows_skipped) AS BIGINT)   AS rows_skipped
    FROM files WHERE kind = 'sessions'
    GROUP BY ALL
)
SELECT
    s.school, s.provider, s.subject, s.grade_band, s.period, s.month, s.week, s.ell, s.sped, s.econ_disadv,
    CAST(sum(s.sessions) AS BIGINT)                                           AS sessions,
    count(*)                                                                  AS students,
    sum(s.sessions_known) / sum(s.sessions)                                   AS id_match_rate,
    CAST(sum(s.sessions) - sum(s.sessions_known) AS BIGINT)                   AS sessions_unmatched_id,
    CAST(sum(s.sessions_outside_calendar) AS BIGINT)                          AS sessions_outside_calendar,
    CAST(sum(s.sessions_on_weekends) AS BIGINT)                               AS sessions_on_weekends,
    CAST(sum(s.durations_over_180) AS BIGINT)                                 AS durations_over_180,
    CAST(sum(s.durations_under_5) AS BIGINT)                                  AS durations_under_5,
    count(*) FILTER (WHERE s.several_providers)                               AS students_with_several_providers,
    CASE WHEN NOT ($by_school OR $by_subject OR $by_grade_band OR $by_period OR $by_month OR $by_week OR $by_ell OR $by_sped OR $by_econ_disadv)
         THEN any_value(l.files_loaded) END                                   AS files_loaded,
    CASE WHEN NOT ($by_school OR $by_subject OR $by_grade_band OR $by_period OR $by_month OR $by_week OR $by_ell OR $by_sped OR $by_econ_disadv)
         THEN any_value(l.files_rejected) END                                 AS files_rejected,
    CASE WHEN NOT ($by_school OR $by_subject OR $by_grade_band OR $by_period OR $by_month OR $by_week OR $by_ell OR $by_sped OR $by_econ_disadv)
         THEN any_value(l.rows_read) END                                      AS rows_read,
    CASE WHEN NOT ($by_school OR $by_subject OR $by_grade_band OR $by_period OR $by_month OR $by_week OR $by_ell OR $by_sped OR $by_econ_disadv)
         THEN any_value(l.rows_rejected) END                                  AS rows_rejected,
    CASE WHEN NOT ($by_school OR $by_subject OR $by_grade_band OR $by_period OR $by_month OR $by_week OR $by_ell OR $by_sped OR $by_econ_disadv)
         THEN any_value(l.rows_duplicate) END                                 AS rows_duplicate,
    CASE WHEN NOT ($by_school OR $by_subject OR $by_grade_band OR $by_period OR $by_month OR $by_week OR $by_ell OR $by_sped OR $by_econ_disadv)
         THEN any_value(l.rows_skipped) END                                   AS rows_skipped
FROM student s
LEFT JOIN loads l ON l.provider IS NOT DISTINCT FROM s.provider
GROUP BY ALL
ORDER BY ALL
