-- Every session with the dimensions metrics cut by. A session's school is
-- the provider's, else the student's (roster or latest test); its grade and
-- subgroup flags are the student's. Set up as a temporary view named
-- session_facts; calendar_periods comes from the config.
SELECT
    se.provider,
    se.session_key,
    se.student_id,
    se.tutor_id,
    coalesce(se.school_id, st.school_id)                  AS school,
    se.session_date,
    se.duration_minutes,
    se.status,
    se.group_size,
    se.modality,
    coalesce(se.subject, 'other')                         AS subject,
    st.grade,
    CASE
        WHEN st.grade IS NULL THEN NULL
        WHEN st.grade <= 2 THEN 'K-2'
        WHEN st.grade <= 5 THEN '3-5'
        WHEN st.grade <= 8 THEN '6-8'
        ELSE '9-12'
    END                                                   AS grade_band,
    st.ell,
    st.sped,
    st.econ_disadv,
    (SELECT p.name FROM calendar_periods p
     WHERE se.session_date BETWEEN p.from_date AND p.to_date
     ORDER BY p.from_date LIMIT 1)                         AS period,
    strftime(se.session_date, '%Y-%m')                    AS month,
    CAST(date_trunc('week', se.session_date) AS DATE)     AS week,
    st.student_id IS NOT NULL                             AS student_known
FROM sessions se
LEFT JOIN students st ON st.student_id = se.student_id
