-- Engagement per group (METRICS.md "Engagement"): students scheduled and
-- served, attendance and delivery rates, weekly dosage and the share of
-- served students meeting the target, cumulative hours, group size and
-- tutor consistency. Student figures are worked out within each group
-- first, then summed up over the group's students.
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
        provider                                              AS session_provider,
        student_id, tutor_id, session_date, duration_minutes, status, group_size
    FROM session_facts
    WHERE session_date BETWEEN $from AND $to
),
g AS (
    -- one text key per group: NULL never equals NULL in a join
    SELECT *, concat_ws('|', coalesce(school, '~'), coalesce(provider, '~'), coalesce(subject, '~'),
        coalesce(grade_band, '~'), coalesce(period, '~'), coalesce(month, '~'), coalesce(CAST(week AS VARCHAR), '~'),
        coalesce(CAST(ell AS VARCHAR), '~'), coalesce(CAST(sped AS VARCHAR), '~'), coalesce(CAST(econ_disadv AS VARCHAR), '~')) AS gkey
    FROM s
),
student AS (
    SELECT
        gkey, school, provider, subject, grade_band, period, month, week, ell, sped, econ_disadv, student_id,
        count(*)                                                   AS scheduled,
        count(*) FILTER (WHERE status = 'attended')                AS attended,
        count(*) FILTER (WHERE status = 'student_absent')          AS absent,
        coalesce(sum(duration_minutes) FILTER (WHERE status = 'attended'), 0) AS minutes,
        coalesce(sum(duration_minutes) FILTER (WHERE status IN ('attended', 'student_absent')), 0) AS delivered_minutes,
        min(session_date)                                          AS first_day,
        max(session_date)                                          AS last_day,
        -- the target of the student's provider where the config sets one
        min(session_provider)                                      AS any_provider,
        count(DISTINCT session_provider)                           AS providers
    FROM g
    GROUP BY ALL
),
weeks AS (
    -- instructional weeks from the student's first to last scheduled week
    SELECT st.gkey, st.student_id, count(w.week_start) AS active_weeks
    FROM student st
    LEFT JOIN instructional_weeks w
      ON w.week_start BETWEEN date_trunc('week', st.first_day) AND date_trunc('week', st.last_day)
    GROUP BY ALL
),
tutor AS (
    -- share of a student's attended sessions with their most frequent tutor
    SELECT gkey, student_id, max(n) / sum(n) AS consistency
    FROM (
        SELECT gkey, student_id, tutor_id, count(*) AS n
        FROM g WHERE status = 'attended' AND tutor_id IS NOT NULL
        GROUP BY ALL
    )
    GROUP BY ALL
),
dosage AS (
    SELECT st.*, w.active_weeks, t.consistency,
           st.attended / nullif(w.active_weeks, 0)  AS sessions_per_week,
           st.minutes / nullif(w.active_weeks, 0)   AS minutes_per_week,
           st.minutes / 60.0                        AS hours,
           coalesce(CASE WHEN st.providers = 1 THEN tg.sessions_per_week END, $target_sessions) AS target_sessions,
           coalesce(CASE WHEN st.providers = 1 THEN tg.minutes_per_week END, $target_minutes)   AS target_minutes
    FROM student st
    JOIN weeks w ON w.gkey = st.gkey AND w.student_id = st.student_id
    LEFT JOIN tutor t ON t.gkey = st.gkey AND t.student_id = st.student_id
    LEFT JOIN dosage_targets tg ON tg.provider = st.any_provider
),
sessions_agg AS (
    SELECT gkey,
           avg(group_size) FILTER (WHERE status = 'attended')                   AS mean_group_size,
           count(*) FILTER (WHERE status = 'attended' AND group_size <= 4)
             / nullif(count(*) FILTER (WHERE status = 'attended' AND group_size IS NOT NULL), 0) AS share_small_groups
    FROM g
    GROUP BY ALL
)
SELECT
    d.school, d.provider, d.subject, d.grade_band, d.period, d.month, d.week, d.ell, d.sped, d.econ_disadv,
    count(*)                                                          AS students_scheduled,
    -- n: the students every figure of the row rests on
    count(*) FILTER (WHERE d.attended > 0)                            AS students_served,
    CAST(sum(d.scheduled) AS BIGINT)                                  AS sessions_scheduled,
    CAST(sum(d.attended) AS BIGINT)                                   AS sessions_attended,
    sum(d.attended) / nullif(sum(d.attended + d.absent), 0)           AS attendance_rate,
    sum(d.attended + d.absent) / nullif(sum(d.scheduled), 0)          AS delivery_rate,
    avg(d.sessions_per_week) FILTER (WHERE d.attended > 0)            AS sessions_per_week,
    avg(d.minutes_per_week) FILTER (WHERE d.attended > 0)             AS minutes_per_week,
    quantile_cont(d.minutes_per_week, 0.25) FILTER (WHERE d.attended > 0) AS minutes_per_week_p25,
    quantile_cont(d.minutes_per_week, 0.50) FILTER (WHERE d.attended > 0) AS minutes_per_week_median,
    quantile_cont(d.minutes_per_week, 0.75) FILTER (WHERE d.attended > 0) AS minutes_per_week_p75,
    -- no target in the config: nobody can be said to meet it
    CASE WHEN max(d.target_sessions) > 0 OR max(d.target_minutes) > 0 THEN
        count(*) FILTER (WHERE d.attended > 0 AND d.sessions_per_week >= d.target_sessions AND d.minutes_per_week >= d.target_minutes)
        / nullif(count(*) FILTER (WHERE d.attended > 0), 0) END       AS share_meeting_target,
    CASE WHEN max(d.target_sessions) > 0 OR max(d.target_minutes) > 0 THEN
        count(*) FILTER (WHERE d.attended > 0 AND d.sessions_per_week >= d.target_sessions AND d.minutes_per_week >= d.target_minutes) END
                                                                      AS students_meeting_target,
    sum(d.hours)                                                      AS hours_attended,
    sum(d.delivered_minutes) / 60.0                                   AS hours_delivered,
    avg(d.hours) FILTER (WHERE d.attended > 0)                        AS hours_per_student_served,
    sum(d.minutes) / nullif(count(*) FILTER (WHERE d.attended > 0), 0) AS minutes_per_student_served,
    count(*) FILTER (WHERE d.hours = 0)                               AS students_0_hours,
    count(*) FILTER (WHERE d.hours > 0 AND d.hours <= 5)              AS students_0_5_hours,
    count(*) FILTER (WHERE d.hours > 5 AND d.hours <= 10)             AS students_5_10_hours,
    count(*) FILTER (WHERE d.hours > 10 AND d.hours <= 20)            AS students_10_20_hours,
    count(*) FILTER (WHERE d.hours > 20 AND d.hours <= 30)            AS students_20_30_hours,
    count(*) FILTER (WHERE d.hours > 30)                              AS students_over_30_hours,
    any_value(a.mean_group_size)                                      AS mean_group_size,
    any_value(a.share_small_groups)                                   AS share_groups_of_4_or_fewer,
    avg(d.consistency)                                                AS tutor_consistency
FROM dosage d
LEFT JOIN sessions_agg a ON a.gkey = d.gkey
GROUP BY ALL
ORDER BY ALL
