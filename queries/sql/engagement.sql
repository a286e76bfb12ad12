-- Engagement per group (METRICS.md "Engagement"): students scheduled and
-- served, attendance and delivery rates, weekly dosage and the share of
-- served students meeting the target, cumulative hours, group size and
-- tutor consistency. Student figures are worked out within each group
-- first, then summed up over the group's students.
--
-- One pass over the sessions: they are counted per group, student and
-- tutor, and everything else adds up from those counts (GROUP BY keeps
-- NULL groups together, so no join on the group is needed).
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
student_tutor AS (
    SELECT
        school, provider, subject, grade_band, period, month, week, ell, sped, econ_disadv, student_id, tutor_id,
        count(*)                                                   AS scheduled,
        count(*) FILTER (WHERE status = 'attended')                AS attended,
        count(*) FILTER (WHERE status = 'student_absent')          AS absent,
        coalesce(sum(duration_minutes) FILTER (WHERE status = 'attended'), 0) AS minutes,
        coalesce(sum(duration_minutes) FILTER (WHERE status IN ('attended', 'student_absent')), 0) AS delivered_minutes,
        min(session_date)                                          AS first_day,
        max(session_date)                                          AS last_day,
        min(session_provider)                                      AS min_provider,
        max(session_provider)                                      AS max_provider,
        sum(group_size) FILTER (WHERE status = 'attended')         AS group_size_sum,
        count(group_size) FILTER (WHERE status = 'attended')       AS group_size_n,
        count(*) FILTER (WHERE status = 'attended' AND group_size <= 4) AS small_groups
    FROM s
    GROUP BY ALL
),
student AS (
    SELECT
        school, provider, subject, grade_band, period, month, week, ell, sped, econ_disadv, student_id,
        sum(scheduled)                                             AS scheduled,
        sum(attended)                                              AS attended,
        sum(absent)                                                AS absent,
        sum(minutes)                                               AS minutes,
        sum(delivered_minutes)                                     AS delivered_minutes,
        min(first_day)                                             AS first_day,
        max(last_day)                                              AS last_day,
        -- the target of the student's provider where the config sets one
        min(min_provider)                                          AS any_provider,
        min(min_provider) = max(max_provider)                      AS one_provider,
        -- share of a student's attended sessions with their most frequent tutor
        max(attended) FILTER (WHERE tutor_id IS NOT NULL)
          / nullif(sum(attended) FILTER (WHERE tutor_id IS NOT NULL), 0) AS consistency,
        sum(group_size_sum)                                        AS group_size_sum,
        sum(group_size_n)                                          AS group_size_n,
        sum(small_groups)                                          AS small_groups
    FROM student_tutor
    GROUP BY ALL
),
dosage AS (
    SELECT st.*, st.attended / nullif(w.active_weeks, 0) AS sessions_per_week,
           st.minutes / nullif(w.active_weeks, 0)        AS minutes_per_week,
           st.minutes / 60.0                             AS hours,
           coalesce(CASE WHEN st.one_provider THEN tg.sessions_per_week END, $target_sessions) AS target_sessions,
           coalesce(CASE WHEN st.one_provider THEN tg.minutes_per_week END, $target_minutes)   AS target_minutes
    FROM student st
    -- instructional weeks from the student's first to last scheduled week
    JOIN LATERAL (
        SELECT count(*) AS active_weeks FROM instructional_weeks w
        WHERE w.week_start BETWEEN date_trunc('week', st.first_day) AND date_trunc('week', st.last_day)
    ) w ON true
    LEFT JOIN dosage_targets tg ON tg.provider = st.any_provider
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
    sum(d.group_size_sum) / nullif(sum(d.group_size_n), 0)            AS mean_group_size,
    sum(d.small_groups) / nullif(sum(d.group_size_n), 0)              AS share_groups_of_4_or_fewer,
    avg(d.consistency)                                                AS tutor_consistency
FROM dosage d
GROUP BY ALL
ORDER BY ALL
