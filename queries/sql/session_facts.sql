-- Every session with the dimensions metrics cut by. A session's school is
-- the provider's, else the student's (roster or latest test); its grade and
-- subgroup flags are the student's. Set up as a temporary view named
-- session_facts; session_days gives each date's period, month and week.
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
    d.period,
    d.month,
    d.week,
    st.student_id IS NOT NULL                             AS student_known
FROM sessions se
LEFT JOIN students st ON st.student_id = se.student_id
JOIN session_days d ON d.day = se.session_date
